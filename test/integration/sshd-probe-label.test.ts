import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import { docker, dockerBuild, dockerExists } from '../support/docker';
import { RecordingDockerProxy } from '../support/recording-proxy';
import { useAgent } from '../support/use-agent';

// The container the agent makes to look into an image for sshd carries the agent's label like all
// it makes, and one an agent killed during the look left behind is removed at its next start.

describe('agent: the sshd probe container is labelled and cleaned up', function () {
  this.timeout(240_000);
  const suffix = randomBytes(4).toString('hex');
  const noSshd = `berth-test-probe:${suffix}`;
  let proxy: RecordingDockerProxy;
  before(async () => {
    proxy = await RecordingDockerProxy.start();
    // Neither sshd nor a package manager: the probe runs, and the layering is refused at once.
    dockerBuild(noSshd, 'FROM berth-base:bookworm\nRUN rm -f /usr/sbin/sshd /usr/bin/apt-get /usr/bin/apt');
  });
  const agent = useAgent(() => ({ args: ['--docker-socket', proxy.socketPath] }));
  let client: AgentClient;
  let agentId = '';
  const leftover = `berth-test-probe-left-${suffix}`;

  after(async () => {
    await proxy.close();
    docker('rm', '-f', leftover);
    docker('image', 'rm', '-f', noSshd);
  });

  it("labels the probe with the agent's id", async () => {
    client = await agent.connect(agent.token('alice'));
    agentId = readFileSync(path.join(agent.stateDir, 'agent-id'), 'utf8').trim();
    await client
      .request('workspace.create', { name: 'nosshd', image: noSshd, cpus: 0.5, memory: 256 * 1024 ** 2 })
      .then(
        () => assert.fail('an image without sshd or a package manager was accepted'),
        () => undefined,
      );
    const probes = proxy.creates.filter(
      (create) => (create.body.Labels as Record<string, string> | undefined)?.['dev.berth.sshd-probe'],
    );
    assert.ok(probes.length > 0, 'no probe container was made');
    for (const probe of probes) {
      assert.equal((probe.body.Labels as Record<string, string>)['dev.berth.agent'], agentId);
    }
  });

  it('removes a probe container left by a killed agent at the next start', async () => {
    // As a kill -9 between the probe's create and its removal leaves it.
    docker(
      'create',
      '--name',
      leftover,
      '--label',
      `dev.berth.agent=${agentId}`,
      '--label',
      'dev.berth.sshd-probe=sha256:0',
      '--entrypoint',
      '/bin/sh',
      noSshd,
    );
    await agent.kill9();
    await agent.restart();
    assert.equal(dockerExists('container', leftover), false, 'the leftover probe is still there');
    assert.match(agent.log, new RegExp(`removed ${leftover}: a look into an image for sshd that never finished`));
    assert.doesNotMatch(agent.log, /orphan container/);
  });
});
