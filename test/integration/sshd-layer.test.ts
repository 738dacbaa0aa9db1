import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AgentClient } from '../../client/agent-client';
import type { EventData } from '../../protocol';
import { cliEnv, startBerth } from '../support/cli';
import { docker, dockerBuild, dockerExists } from '../support/docker';
import { sshKeyPair, sshRun } from '../support/ssh';
import { useAgent } from '../support/use-agent';

type Progress = EventData<'workspace.progress'>;

/** The image a workspace's container was created from, and that image's id. */
function containerImage(id: string): { name: string; id: string } {
  const [name, imageId] = docker('inspect', '-f', '{{.Config.Image}} {{.Image}}', `berth-${id}`).split(' ');
  return { name: name ?? '', id: imageId ?? '' };
}

// Any image works: one without sshd gets a layer with OpenSSH from its own package manager, built on
// its first use and reused after. The images here are made from the local base image with
/** A shell line writing the memory limit and CPU quota of its cgroup (v2, else v1) to /opt/layer-limit. */
const RECORD_LIMIT =
  '{ cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes; cat /sys/fs/cgroup/cpu.max 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us; } > /opt/layer-limit';

// openssh-server purged (no network needed for that; the layer's apt-get reaches Debian's mirror).
describe('agent: images without sshd', function () {
  this.timeout(300_000);
  const suffix = randomBytes(4).toString('hex');
  const noSshd = `berth-test-nosshd:${suffix}`;
  const noManager = `berth-test-nopm:${suffix}`;
  const another = `berth-test-nosshd2:${suffix}`;
  const noMirror = `berth-test-nomirror:${suffix}`;
  const made: string[] = [];
  const agent = useAgent();
  const key = sshKeyPair();
  let client: AgentClient;

  before(() => {
    // USER, WORKDIR, ENV and a label of its own, which the derived image must keep.
    dockerBuild(
      noSshd,
      [
        'FROM berth-base:bookworm',
        'RUN DEBIAN_FRONTEND=noninteractive apt-get purge -y openssh-server openssh-sftp-server >/dev/null && rm -f /usr/sbin/sshd && ! command -v sshd',
        // Its apt-get first notes the memory limit it runs under (into the derived image).
        `RUN mv /usr/bin/apt-get /usr/bin/apt-get.real && printf '%s\\n' '#!/bin/sh' ${JSON.stringify(RECORD_LIMIT)} 'exec /usr/bin/apt-get.real "$@"' > /usr/bin/apt-get && chmod 755 /usr/bin/apt-get`,
        `LABEL dev.berth.test=${suffix}`,
        'ENV FROM_IMAGE=kept',
        'WORKDIR /srv',
        'USER nobody',
      ].join('\n'),
    );
    made.push(noSshd);
    dockerBuild(noManager, `FROM ${noSshd}\nUSER 0\nRUN rm -f /usr/bin/apt-get /usr/bin/apt\nUSER nobody`);
    made.push(noManager);
    // Another image id without sshd, whose layer is built (and cancelled) on its own.
    dockerBuild(another, `FROM ${noSshd}\nLABEL dev.berth.test-cancel=${suffix}`);
    made.push(another);
    // Its package manager reaches no mirror: nothing listens on the build container's own port 9.
    dockerBuild(
      noMirror,
      `FROM ${noSshd}\nUSER 0\nRUN echo 'deb http://127.0.0.1:9/debian bookworm main' > /etc/apt/sources.list\nUSER nobody`,
    );
    made.push(noMirror);
  });
  before(async () => {
    client = await agent.connect(agent.token('alice'));
    await client.request('user.addKey', { key: key.publicKey });
  });
  after(() => {
    // The agent (and with it every container) is gone by now; the derived image goes with the test's.
    const derived = made.flatMap((image) => {
      const baseId = dockerExists('image', image) ? docker('image', 'inspect', '-f', '{{.Id}}', image) : '';
      return baseId ? [`berth-sshd:${baseId.replace('sha256:', '').slice(0, 12)}`] : [];
    });
    for (const image of [...derived, ...made.reverse()]) {
      if (dockerExists('image', image)) docker('image', 'rm', '-f', image);
    }
  });

  let firstImage = { name: '', id: '' };

  it('layers sshd on first use, once for concurrent creates, with the build log as progress', async () => {
    const phases: Progress[] = [];
    const cli = startBerth(['create', 'printed', '--image', noSshd], cliEnv(agent.url, agent.token('alice')));
    const { workspace } = await client.request(
      'workspace.create',
      { name: 'layered', image: noSshd },
      { onProgress: (p) => phases.push(p) },
    );
    const { code } = await cli.exited;
    assert.equal(code, 0, cli.stderr());

    const names = phases.map((p) => p.phase);
    assert.ok(names.includes('installing-sshd'), names.join(' '));
    assert.ok(names.lastIndexOf('installing-sshd') < names.indexOf('creating-container'), names.join(' '));
    const messages = [...phases.filter((p) => p.phase === 'installing-sshd').map((p) => p.message), cli.stderr()];
    assert.match(messages.join('\n'), /Installing OpenSSH into .* with apt-get/);
    assert.match(messages.join('\n'), /Installing OpenSSH: Setting up openssh-server/);
    // The CLI prints the phase like any other: the layering, then the container.
    assert.match(cli.stderr(), /^ {2}printed: Installing OpenSSH/m);
    // One build: whichever create came second waited for the first's.
    assert.equal(messages.join('\n').match(/another create started it/g)?.length, 1, messages.join('\n'));

    // The spec keeps the user's image; the container runs the derived one.
    assert.equal(workspace.spec.image, noSshd);
    firstImage = containerImage(workspace.id);
    assert.match(firstImage.name, /^berth-sshd:[0-9a-f]{12}$/);
    const printed = (await client.request('workspace.get', { name: 'printed' })).workspace;
    assert.equal(containerImage(printed.id).id, firstImage.id);
  });

  it("runs the layering within a default workspace's memory and CPUs (the image's package manager runs its scripts)", async () => {
    const { defaults } = await client.request('host.info', {});
    const [memory, cpu] = docker('run', '--rm', '--entrypoint', 'cat', firstImage.id, '/opt/layer-limit').split('\n');
    assert.equal(memory, String(defaults?.memory));
    // cgroup v2: "QUOTA PERIOD"; v1: the quota, in microseconds of a 100 ms period.
    assert.equal(cpu?.split(' ')[0], String(Math.round((defaults?.cpus ?? 0) * 100_000)));
  });

  it('keeps the image’s ENV, WORKDIR, USER and labels in the derived image', () => {
    const baseId = docker('image', 'inspect', '-f', '{{.Id}}', noSshd);
    const config = JSON.parse(docker('image', 'inspect', '-f', '{{json .Config}}', firstImage.id)) as {
      User: string;
      WorkingDir: string;
      Env: string[];
      Labels: Record<string, string>;
    };
    assert.equal(config.User, 'nobody');
    assert.equal(config.WorkingDir, '/srv');
    assert.ok(config.Env.includes('FROM_IMAGE=kept'), config.Env.join(' '));
    assert.equal(config.Labels['dev.berth.test'], suffix);
    assert.equal(config.Labels['dev.berth.sshd-layer.base'], baseId);
  });

  it('is entered with the stock ssh under strict host-key checking', async () => {
    const { workspace } = await client.request('workspace.get', { name: 'layered' });
    // The package's own host keys were removed from the layer: the workspace's key is the only one.
    const result = sshRun(workspace, key.privateKey, 'whoami; echo "$FROM_IMAGE"; ls /etc/ssh | grep -c "^ssh_host_"');
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, 'dev\nkept\n0\n');
  });

  it('reuses the derived image on later creates, with no layering', async () => {
    const phases: string[] = [];
    const { workspace } = await client.request(
      'workspace.create',
      { name: 'again', image: noSshd },
      { onProgress: (p) => phases.push(p.phase) },
    );
    assert.ok(!phases.includes('installing-sshd'), phases.join(' '));
    assert.equal(containerImage(workspace.id).id, firstImage.id);
    assert.equal(workspace.state, 'running');
    // The image to choose stays the user's: the derived tags are not offered.
    const { images } = await client.request('host.images', {});
    assert.ok(images.includes(noSshd), images.join(' '));
    assert.ok(!images.some((image) => image.startsWith('berth-sshd:')), images.join(' '));
  });

  it('rolls back a create cancelled while layering, and a later create layers afresh', async () => {
    const abort = new AbortController();
    await assert.rejects(
      client.request(
        'workspace.create',
        { name: 'cancelled', image: another },
        { signal: abort.signal, onProgress: (p) => p.phase === 'installing-sshd' && abort.abort() },
      ),
      { code: 'cancelled' },
    );
    const { workspaces } = await client.request('workspace.list', {});
    assert.ok(!workspaces.some((w) => w.name === 'cancelled'));

    const phases: string[] = [];
    const { workspace } = await client.request(
      'workspace.create',
      { name: 'retried', image: another },
      { onProgress: (p) => phases.push(p.phase) },
    );
    assert.ok(phases.includes('installing-sshd'), phases.join(' '));
    assert.equal(workspace.state, 'running');
    assert.match(containerImage(workspace.id).name, /^berth-sshd:/);
  });

  it('says in one line why the install failed when the package manager cannot install openssh-server', async () => {
    await assert.rejects(client.request('workspace.create', { name: 'offline', image: noMirror }), (err: Error) => {
      assert.equal((err as { code?: string }).code, 'runtime_error');
      assert.match(
        err.message,
        new RegExp(
          `^could not install OpenSSH into image "${noMirror}" with apt-get: the install exited with code 100 \\(E: .*openssh-server.*\\); install openssh-server in the image, or check that this host reaches its package mirrors$`,
        ),
      );
      assert.ok(!err.message.includes('\n'), err.message);
      return true;
    });
    const { workspaces } = await client.request('workspace.list', {});
    assert.ok(!workspaces.some((w) => w.name === 'offline'));
  });

  it('refuses an image with neither sshd nor a package manager, saying what to do', async () => {
    await assert.rejects(client.request('workspace.create', { name: 'bare', image: noManager }), {
      code: 'invalid_params',
      message: new RegExp(
        `^image "${noManager}" has no OpenSSH server \\(sshd\\) and no package manager Berth knows \\(apt-get, apk, dnf, microdnf, yum, zypper\\) to install one; install openssh-server in the image, or use an image that has one of those package managers$`,
      ),
    });
    // Rolled back like any failed create: no record, no container.
    const { workspaces } = await client.request('workspace.list', {});
    assert.ok(!workspaces.some((w) => w.name === 'bare'));
    assert.equal(docker('ps', '-aq', '--filter', 'label=dev.berth.name=bare'), '');
  });
});
