import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { AgentClient } from '../../client/agent-client';
import type { BerthError, Workspace } from '../../protocol';
import { streamRequest } from '../../client/stream';
import { berth, type AgentProcess } from '../support/agent-process';
import { cliEnv, startBerth } from '../support/cli';
import { docker } from '../support/docker';
import { sshKeyPair, sshRun } from '../support/ssh';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

// `berth move NAME --to HOST`: the backup streams from one agent through the client into a restore on
// the other; the source is deleted only once the target runs it. Two real agents on this machine.

const MiB = 1024 ** 2;
const SMALL = { cpus: 0.5, memory: 256 * MiB };

/** A known tree in the home: contents, modes, owners, times, a symlink, an empty dir; `$2` MiB of random data. */
const MAKE_TREE = [
  'set -e; cd "$1"; mkdir -p tree/empty tree/sub',
  "printf 'hello\\n' > tree/sub/a.txt; chmod 640 tree/sub/a.txt; touch -d '2020-01-02 03:04:05' tree/sub/a.txt",
  'head -c $(($2 * 1048576)) /dev/urandom > tree/random.bin; ln -s sub/a.txt tree/link',
  'touch tree/root-owned; chown 0:0 tree/root-owned; chown 1234:4321 tree/sub; chmod 2750 tree/sub; chmod 700 tree/empty',
].join('\n');

/** The tree as a checksum listing, made inside the container. */
const LIST_TREE = [
  'set -e; cd "$1"',
  "find tree -printf '%p %y %m %U:%G %s %Ts %l\\n' | LC_ALL=C sort",
  'find tree -type f -exec sha256sum {} + | LC_ALL=C sort -k2',
].join('\n');

const inContainer = (ws: Workspace, script: string, ...args: string[]): string =>
  docker('exec', `berth-${ws.id}`, 'sh', '-c', script, 'sh', `/home/${ws.spec.user}`, ...args);

/** The agent's containers and volumes (ids), by its agent-id label. */
const made = (agent: AgentProcess) =>
  ['container ls -a', 'volume ls'].map((list) =>
    spawnSync('sh', ['-c', `docker ${list} -q --filter label=dev.berth.agent=$(cat ${agent.stateDir}/agent-id)`], {
      encoding: 'utf8',
    })
      .stdout.split('\n')
      .filter(Boolean)
      .sort(),
  );

describe('berth move: a workspace to another host, deleted on the source only once the target runs it', function () {
  this.timeout(600_000);
  const a = useAgent();
  const b = useAgent();
  const key = sshKeyPair();
  let onA: AgentClient;
  let onB: AgentClient;
  let env: NodeJS.ProcessEnv;

  const names = async (client: AgentClient) =>
    (await client.request('workspace.list', {})).workspaces.map((ws) => ws.name).sort();
  /** A workspace of alice's on `client`'s agent with the tree (and `mib` MiB of random data); its listing. */
  const withTree = async (client: AgentClient, name: string, mib: number) => {
    const { workspace } = await client.request('workspace.create', { name, ...SMALL });
    inContainer(workspace, MAKE_TREE, String(mib));
    return { workspace, listing: inContainer(workspace, LIST_TREE) };
  };

  // A test that fails mid-way may leave a half-made restore, which no record names (so the agent's
  // own clean-up misses it): remove whatever carries either agent's label.
  const agentIds: string[] = [];
  after(() => {
    for (const id of agentIds) {
      for (const kind of ['container', 'volume']) {
        const filter = `label=dev.berth.agent=${id}`;
        const list = spawnSync(
          'docker',
          [kind, 'ls', ...(kind === 'container' ? ['-a'] : []), '-q', '--filter', filter],
          {
            encoding: 'utf8',
          },
        )
          .stdout.split('\n')
          .filter(Boolean);
        if (list.length) spawnSync('docker', [kind, 'rm', '-f', ...list], { stdio: 'ignore' });
      }
    }
  });

  before(async () => {
    for (const agent of [a, b]) agentIds.push(readFileSync(path.join(agent.stateDir, 'agent-id'), 'utf8').trim());
    onA = await a.connect(a.token('alice'));
    onB = await b.connect(b.token('alice'));
    for (const client of [onA, onB]) await client.request('user.addKey', { key: key.publicKey });
    // The user's config: two saved hosts, as `berth host add` writes them.
    env = { ...cliEnv(a.url, undefined), BERTH_URL: undefined, BERTH_TOKEN: undefined };
    const hosts = { a: { url: a.url, token: a.token('alice') }, b: { url: b.url, token: b.token('alice') } };
    writeFileSync(env.BERTH_CONFIG!, JSON.stringify({ default: 'a', hosts }), { mode: 0o600 });
  });

  it('moves the home byte for byte with its host key; the source is deleted, saying why', async () => {
    const { workspace: source, listing } = await withTree(onA, 'web', 1);
    const run = berth(['move', 'web', '--host', 'a', '--to', 'b'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Moved web to b: running, same host key · enter it with: berth ssh web --host b/);
    assert.match(run.stdout, /Deleted it on a/);
    const { workspace: moved } = await onB.request('workspace.get', { name: 'web' });
    assert.equal(moved.state, 'running');
    assert.equal(moved.owner, 'alice');
    assert.equal(inContainer(moved, LIST_TREE), listing);
    assert.equal(moved.ssh.hostKey, source.ssh.hostKey);
    // Stock ssh, StrictHostKeyChecking=yes, with the known_hosts line of the workspace on host a.
    const old = { ...moved, ssh: { ...moved.ssh, hostKey: source.ssh.hostKey } };
    const ssh = sshRun(old, key.privateKey, 'stat -c %s tree/random.bin');
    assert.equal(ssh.code, 0, ssh.stderr);
    assert.equal(ssh.stdout, '1048576\n');
    assert.deepEqual(await names(onA), []);
    assert.match(a.log, /deleting alice\/web: moved to host b/);
  });

  it('refuses a name taken on the target before anything moves: the source still runs, untouched', async () => {
    const { workspace: source } = await withTree(onA, 'dup', 1);
    await onB.request('workspace.create', { name: 'dup', ...SMALL });
    const before = [made(a), made(b)];
    const run = berth(['move', 'dup', '--host', 'a', '--to', 'b'], env);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /cannot move "dup": host "b" already has a workspace called "dup".*nothing was changed/);
    const { workspace } = await onA.request('workspace.get', { name: 'dup' });
    assert.equal(workspace.state, 'running');
    assert.ok(!workspace.history?.some((entry) => entry.event === 'stopped'), JSON.stringify(workspace.history));
    assert.equal(workspace.id, source.id);
    assert.deepEqual([made(a), made(b)], before);
  });

  it('refuses a target that would not take it by its own rules (a secret it uses is not set there), before anything moves', async () => {
    await onA.request('secret.set', { name: 'TOKEN', value: 'moved-secret' });
    const secrets = [{ key: 'TOKEN', env: 'TOKEN' }];
    const { workspace: source } = await onA.request('workspace.create', { name: 'sec', secrets, ...SMALL });
    const before = [made(a), made(b)];
    const run = berth(['move', 'sec', '--host', 'a', '--to', 'b'], env);
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /cannot move "sec": host "b" would refuse it: secret TOKEN is not set.*nothing was changed/,
    );
    const { workspace } = await onA.request('workspace.get', { name: 'sec' });
    assert.equal(workspace.state, 'running');
    assert.equal(workspace.id, source.id);
    assert.deepEqual([made(a), made(b)], before);
    await onA.request('workspace.delete', { name: 'sec' });
  });

  it('refuses another owner on the target: the token there is not the same user', async () => {
    const bobEnv = { ...env, BERTH_CONFIG: path.join(env.HOME!, 'bob.json') };
    const hosts = { a: { url: a.url, token: a.token('alice') }, b: { url: b.url, token: b.token('bob') } };
    writeFileSync(bobEnv.BERTH_CONFIG, JSON.stringify({ hosts }), { mode: 0o600 });
    const run = berth(['move', 'dup', '--host', 'a', '--to', 'b'], bobEnv);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /"dup" is alice's, but your token on host "b" is bob's/);
    assert.equal((await onA.request('workspace.get', { name: 'dup' })).workspace.state, 'running');
  });

  it('a restore without a size (as a move sends it) still refuses a truncated backup, and makes nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-move-'));
    try {
      const file = path.join(dir, 'dup.tar');
      const backup = berth(['backup', 'dup', '--host', 'a', '-o', file], env);
      assert.equal(backup.code, 0, backup.stderr);
      const cut = path.join(dir, 'cut.tar');
      const whole = readFileSync(file);
      writeFileSync(cut, whole.subarray(0, whole.length - 1024));
      const before = [await names(onB), made(b)];
      const err = await streamRequest(
        onB,
        'workspace.restore',
        { name: 'cut' },
        { stdout: new PassThrough(), stderr: new PassThrough(), stdin: createReadStream(cut).pause() },
      ).then(
        () => assert.fail('a truncated upload was accepted'),
        (e: BerthError) => e,
      );
      assert.equal(err.code, 'invalid_params');
      assert.match(err.message, /the backup is refused: .*(truncated|not a Berth backup)/);
      await waitFor('what the refused restore made to be gone', async () =>
        JSON.stringify([await names(onB), made(b)]) === JSON.stringify(before) ? true : false,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('killed mid-transfer: the source keeps it whole (stopped, and it starts), the target keeps nothing', async () => {
    const { listing } = await withTree(onA, 'big', 256);
    const before = made(b);
    const namesBefore = await names(onB);
    const run = startBerth(['move', 'big', '--host', 'a', '--to', 'b'], env);
    // Bytes went through the client, and the target has begun unpacking them (its restore container).
    await waitFor('the move to be under way', () => {
      if (run.child.exitCode !== null) throw new Error(`the move ended first: ${run.stderr()}`);
      return /big → b: [1-9]/.test(run.stderr()) && made(b)[0]!.length > before[0]!.length;
    });
    run.child.kill('SIGKILL');
    await run.exited;
    await waitFor('the target to have removed what it made', async () =>
      JSON.stringify([await names(onB), made(b)]) === JSON.stringify([namesBefore, before]) ? true : false,
    );
    const { workspace } = await onA.request('workspace.get', { name: 'big' });
    assert.equal(workspace.state, 'stopped');
    const started = berth(['start', 'big', '--host', 'a'], env);
    assert.equal(started.code, 0, started.stderr);
    const { workspace: again } = await onA.request('workspace.get', { name: 'big' });
    assert.equal(again.state, 'running');
    assert.equal(inContainer(again, LIST_TREE), listing);
  });

  it('the target agent killed mid-transfer: the source runs again, whole; the restarted target removes the half-made restore', async () => {
    const { listing } = await withTree(onA, 'big2', 256);
    const before = made(b);
    const namesBefore = await names(onB);
    const run = startBerth(['move', 'big2', '--host', 'a', '--to', 'b'], env);
    await waitFor('the move to be under way', () => {
      if (run.child.exitCode !== null) throw new Error(`the move ended first: ${run.stderr()}`);
      return /big2 → b: [1-9]/.test(run.stderr()) && made(b)[0]!.length > before[0]!.length;
    });
    await b.kill9();
    const exit = await run.exited;
    assert.equal(exit.code, 1, run.stderr());
    assert.match(run.stderr(), /starting it again on a; it was not moved/);
    // What the dead agent had unpacked is still there until it starts again.
    assert.ok(made(b)[0]!.length > before[0]!.length);
    await b.restart();
    onB = await b.connect(b.token('alice'));
    assert.deepEqual([await names(onB), made(b)], [namesBefore, before]);
    assert.match(b.log, /removing berth-\w+ and its home: a restore that never completed/);
    const { workspace } = await onA.request('workspace.get', { name: 'big2' });
    assert.equal(workspace.state, 'running');
    assert.equal(inContainer(workspace, LIST_TREE), listing);
  });

  it('the source agent killed mid-transfer: the target removes what it made; the restarted source has it whole', async () => {
    const { listing } = await withTree(onA, 'big3', 256);
    const before = made(b);
    const namesBefore = await names(onB);
    const run = startBerth(['move', 'big3', '--host', 'a', '--to', 'b'], env);
    await waitFor('the move to be under way', () => {
      if (run.child.exitCode !== null) throw new Error(`the move ended first: ${run.stderr()}`);
      return /big3 → b: [1-9]/.test(run.stderr()) && made(b)[0]!.length > before[0]!.length;
    });
    await a.kill9();
    const exit = await run.exited;
    assert.equal(exit.code, 1, run.stderr());
    // The source's agent went away: that is the reason given, not a cancel.
    assert.doesNotMatch(run.stderr(), /Cancelled/);
    await waitFor('the target to have removed what it made', async () =>
      JSON.stringify([await names(onB), made(b)]) === JSON.stringify([namesBefore, before]) ? true : false,
    );
    await a.restart();
    onA = await a.connect(a.token('alice'));
    const { workspace } = await onA.request('workspace.get', { name: 'big3' });
    assert.equal(workspace.state, 'stopped');
    const { workspace: again } = await onA.request('workspace.start', { name: 'big3' });
    assert.equal(again.state, 'running');
    assert.equal(inContainer(again, LIST_TREE), listing);
  });
});
