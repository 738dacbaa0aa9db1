import * as assert from 'node:assert/strict';
import type { EventData } from '../../protocol';
import type { AgentClient } from '../../client/agent-client';
import { cliEnv, startBerth } from '../support/cli';
import { fakeGpuEnv } from '../support/fake-gpus';
import { RecordingDockerProxy } from '../support/recording-proxy';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

// Progress belongs to the request that asked for it: a client that runs one create is never shown
// the phases of other operations the same user (or, for an admin, anyone) has under way.

describe('progress: each request sees its own phases only', function () {
  this.timeout(120_000);
  let proxy: RecordingDockerProxy;
  let client: AgentClient;

  // Four fake GPUs (the recording proxy drops the device requests, which this engine cannot run).
  before(async () => {
    proxy = await RecordingDockerProxy.start();
  });
  const agent = useAgent(() => ({ args: ['--docker-socket', proxy.socketPath], env: fakeGpuEnv('plain') }));
  before(async () => {
    client = await agent.connect(agent.token('alice'));
  });
  after(async () => {
    await proxy?.close();
  });

  it('gives a request the progress of that request, not of a concurrent one of the same user', async () => {
    const other = await agent.connect(agent.token('alice'));
    const mine: EventData<'workspace.progress'>[] = [];
    const theirs: EventData<'workspace.progress'>[] = [];
    await Promise.all([
      client.request('workspace.create', { name: 'mine' }, { onProgress: (p) => mine.push(p) }),
      other.request('workspace.create', { name: 'theirs' }, { onProgress: (p) => theirs.push(p) }),
    ]);
    assert.ok(mine.length > 1 && theirs.length > 1, `${mine.length} and ${theirs.length} phases`);
    assert.deepEqual([...new Set(mine.map((p) => p.name))], ['mine']);
    assert.deepEqual([...new Set(theirs.map((p) => p.name))], ['theirs']);
    assert.equal(mine.at(-1)?.phase, 'done');
  });

  it('berth create prints its own phases, not those of another create made while it waits', async () => {
    const token = agent.token('bob');
    const bob = await agent.connect(token);
    const seen: string[] = [];
    bob.onEvent((event) => {
      if (event.event === 'workspace.progress') seen.push(event.data.name);
    });
    // Every GPU is held, so `berth create --wait-gpus` waits in the queue, its connection open...
    await bob.request('workspace.create', { name: 'holder', gpus: 4 });
    const cli = startBerth(['create', 'printed', '--gpus', '1', '--wait-gpus', '2m'], cliEnv(agent.url, token));
    await waitFor('berth create to wait for a GPU', () => /printed: .*GPU/i.test(cli.stderr()));
    // ...while another of bob's clients creates a workspace from start to finish.
    await bob.request('workspace.create', { name: 'elsewhere' });
    assert.ok(seen.includes('elsewhere'), 'the other create reported progress to bob');
    await bob.request('workspace.stop', { name: 'holder' });
    const { code } = await cli.exited;
    assert.equal(code, 0, cli.stderr());
    assert.match(cli.stderr(), /^ {2}printed: /m);
    assert.doesNotMatch(cli.stderr(), /elsewhere/);
  });
});
