import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import type { AgentClient } from '../../client/agent-client';
import { execInWorkspace } from '../../client/exec';
import { streamRequest } from '../../client/stream';
import { defaultSecretsRunDir } from '../../agent/secrets/stage';
import type { BerthError } from '../../protocol';
import { docker } from '../support/docker';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

// A client that starts a backup and stops reading (or a restore and stops sending) must not hold the
// workspace, stopped, with its GPUs, for as long as it stays connected.

const SMALL = { cpus: 0.5, memory: 256 * 1024 ** 2 };

/** What `command` prints through `workspace.exec` (exit code 0 asserted). */
async function exec(client: AgentClient, name: string, command: string): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const code = await execInWorkspace(client, { name }, ['sh', '-c', command], {
    stdout: out,
    stderr: out,
    stdin: null,
  });
  assert.equal(code, 0, Buffer.concat(chunks).toString());
  return Buffer.concat(chunks).toString();
}

/** A sink that takes one chunk and then nothing until `release()` (a client that stopped reading). */
function stalledSink(): { sink: Writable; release: () => void } {
  const held: (() => void)[] = [];
  let stalled = true;
  const sink = new Writable({
    highWaterMark: 1,
    write(_chunk, _enc, done) {
      if (stalled) held.push(done);
      else done();
    },
  });
  return {
    sink,
    release: () => {
      stalled = false;
      for (const done of held.splice(0)) done();
    },
  };
}

/** Starts a backup of `name` whose client stops reading after its first chunk; resolves once the container stopped. */
async function stalledBackup(client: AgentClient, name: string, id: string) {
  const { sink, release } = stalledSink();
  const backup = streamRequest(
    client,
    'workspace.backup',
    { name },
    { stdout: sink, stderr: new PassThrough(), stdin: null },
  );
  const outcome = backup.then(
    () => null,
    (err: BerthError) => err,
  );
  await waitFor('the backup to stop the container', () => !running(id), 60_000);
  return { release, outcome };
}

const running = (id: string) => docker('inspect', '-f', '{{.State.Running}}', `berth-${id}`) === 'true';

describe('backup: a stalled client is cancelled after --transfer-stall, and the workspace freed', function () {
  this.timeout(300_000);
  const agent = useAgent({ args: ['--transfer-stall', '3s'] });
  let alice: AgentClient;
  let id = '';
  let file = Buffer.alloc(0);
  const runs = async () => (await exec(alice, 'box', 'cat ~/post-start-runs')).split('\n').filter(Boolean).length;
  const made = () =>
    ['container ls -a', 'volume ls'].map(
      (list) =>
        spawnSync('sh', ['-c', `docker ${list} -q --filter label=dev.berth.agent=$(cat ${agent.stateDir}/agent-id)`], {
          encoding: 'utf8',
        }).stdout,
    );

  before(async () => {
    alice = await agent.connect(agent.token('alice'));
    const created = await alice.request('workspace.create', {
      name: 'box',
      ...SMALL,
      lifecycle: { postStartCommand: 'echo ran >> ~/post-start-runs' },
    });
    id = created.workspace.id;
    await waitFor('postStart to run', async () => (await runs()) === 1);
    // More than the agent's output window and both sockets' buffers hold.
    await exec(alice, 'box', 'head -c 48M /dev/urandom > ~/big');
  });

  it('a backup starts the workspace again as a start does: postStart runs again', async () => {
    const chunks: Buffer[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        done();
      },
    });
    const result = await streamRequest(
      alice,
      'workspace.backup',
      { name: 'box' },
      {
        stdout: out,
        stderr: new PassThrough(),
        stdin: null,
      },
    );
    assert.equal(result.stopped, true);
    file = Buffer.concat(chunks);
    await waitFor('postStart to run after the backup started it again', async () => (await runs()) === 2);
  });

  it('a backup whose client stops reading is cancelled, and the workspace runs again', async () => {
    const { release, outcome } = await stalledBackup(alice, 'box', id);
    const other = await agent.connect(agent.token('alice'));
    await waitFor('the stalled backup to be cancelled and the container started again', () => running(id), 60_000);
    const { workspace } = await other.request('workspace.get', { name: 'box' });
    assert.equal(workspace.state, 'running');
    release();
    const err = await outcome;
    assert.equal(err?.code, 'cancelled');
    assert.match(err.message, /the client took no bytes for 3 seconds; nothing was kept/);
    // The workspace is free again: another operation runs on it.
    await other.request('workspace.restart', { name: 'box' });
  });

  it('a restore whose client stops sending is cancelled, and nothing of it is left', async () => {
    assert.ok(file.length > 1024 ** 2, 'no backup file from the first test');
    const before = made();
    // Half the file, then nothing more: neither more bytes nor an end.
    const stdin = new Readable({ read: () => undefined });
    stdin.push(file.subarray(0, Math.floor(file.length / 2)));
    stdin.pause();
    const err = await streamRequest(
      alice,
      'workspace.restore',
      { name: 'copy', bytes: file.length },
      {
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        stdin,
      },
    ).then(
      () => assert.fail('a stalled restore completed'),
      (e: BerthError) => e,
    );
    assert.equal(err.code, 'cancelled');
    assert.match(err.message, /the restore was cancelled: no bytes came for 3 seconds; nothing was made/);
    const names = (await alice.request('workspace.list', {})).workspaces.map((ws) => ws.name);
    assert.deepEqual(names, ['box']);
    await waitFor('what the stalled restore made to be gone', () => JSON.stringify(made()) === JSON.stringify(before));
  });
});

describe('backup: an agent killed during a backup leaves no staged secrets behind', function () {
  this.timeout(300_000);
  const agent = useAgent();
  let runDir = '';

  after(async () => {
    if (runDir) await fs.rm(runDir, { recursive: true, force: true });
  });

  it('the restarted agent records the workspace stopped and removes its staged values', async () => {
    runDir = defaultSecretsRunDir(agent.stateDir);
    const alice = await agent.connect(agent.token('alice'));
    await alice.request('secret.set', { name: 'TOKEN', value: `value-${randomBytes(8).toString('hex')}` });
    const { workspace } = await alice.request('workspace.create', {
      name: 'box',
      ...SMALL,
      secrets: [{ key: 'TOKEN', file: '/run/secrets/TOKEN' }],
    });
    await exec(alice, 'box', 'head -c 48M /dev/urandom > ~/big');
    await stalledBackup(alice, 'box', workspace.id);
    await agent.kill9();
    await agent.restart();
    const again = await agent.connect(agent.token('alice'));
    assert.equal((await again.request('workspace.get', { name: 'box' })).workspace.state, 'stopped');
    const left = await fs.readdir(path.join(runDir, workspace.id)).catch(() => []);
    assert.deepEqual(left, [], 'the values staged for the run are still in /dev/shm');
  });
});

describe('backup: a stalled backup holds up nobody else', function () {
  this.timeout(300_000);
  const agent = useAgent();

  it('while it stalls, others create, list, and a container killed behind the agent is seen', async () => {
    const alice = await agent.connect(agent.token('alice'));
    const bob = await agent.connect(agent.token('bob'));
    const { workspace } = await alice.request('workspace.create', { name: 'box', ...SMALL });
    await exec(alice, 'box', 'head -c 48M /dev/urandom > ~/big');
    const { release, outcome } = await stalledBackup(alice, 'box', workspace.id);
    let again: AgentClient | undefined;
    try {
      const made = await bob.request('workspace.create', { name: 'other', ...SMALL });
      assert.equal(made.workspace.state, 'running');
      // Another connection: the backup's own stopped reading, so its replies wait behind the bytes.
      again = await agent.connect(agent.token('alice'));
      assert.deepEqual(
        (await again.request('workspace.list', {})).workspaces.map((ws) => ws.name),
        ['box'],
      );
      docker('kill', `berth-${made.workspace.id}`);
      await waitFor('the agent to see bob’s container stopped', async () => {
        const { workspace: seen } = await bob.request('workspace.get', { name: 'other' });
        return seen.state === 'stopped';
      });
      const started = await bob.request('workspace.start', { name: 'other' });
      assert.equal(started.workspace.state, 'running');
    } finally {
      again?.close();
      release();
    }
    assert.equal(await outcome, null);
  });
});
