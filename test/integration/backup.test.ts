import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { AgentClient } from '../../client/agent-client';
import { streamRequest } from '../../client/stream';
import type { BerthError, Workspace } from '../../protocol';
import { berth } from '../support/agent-process';
import { cliEnv, startBerth } from '../support/cli';
import { docker } from '../support/docker';
import { sshKeyPair, sshRun } from '../support/ssh';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

// Issue 14, "Backup and restore": one archive file with the home (owners, modes, links, times), the
// definition and the host key; restore checks every checksum before anything is made.

const MiB = 1024 ** 2;
const SMALL = { cpus: 0.5, memory: 256 * MiB };

/** A known tree in the home: contents, modes, owners, a symlink, an empty dir, a large sparse file. */
const MAKE_TREE = [
  'set -e; cd "$1"; mkdir -p tree/empty tree/sub',
  "printf 'hello\\n' > tree/sub/a.txt; chmod 640 tree/sub/a.txt; touch -d '2020-01-02 03:04:05' tree/sub/a.txt",
  'head -c 1048576 /dev/urandom > tree/random.bin; ln -s sub/a.txt tree/link',
  'truncate -s 200M tree/sparse.bin; printf x | dd of=tree/sparse.bin bs=1 seek=150000000 conv=notrunc 2>/dev/null',
  'touch tree/root-owned; chown 0:0 tree/root-owned; chown 1234:4321 tree/sub; chmod 2750 tree/sub; chmod 700 tree/empty',
].join('\n');

/** The tree as a checksum listing, made inside the container: every entry's type, mode, owner, size, time (whole seconds: tar keeps no more), link and sha256. */
const LIST_TREE = [
  'set -e; cd "$1"',
  "find tree -printf '%p %y %m %U:%G %s %Ts %l\\n' | LC_ALL=C sort",
  'find tree -type f -exec sha256sum {} + | LC_ALL=C sort -k2',
].join('\n');

/** Runs a shell script as root in the workspace's container. */
const inContainer = (ws: Workspace, script: string): string =>
  docker('exec', `berth-${ws.id}`, 'sh', '-c', script, 'sh', `/home/${ws.spec.user}`);

describe('backup and restore: one archive file, checked before anything is made', function () {
  this.timeout(300_000);
  const agent = useAgent();
  const key = sshKeyPair();
  let alice: AgentClient;
  let bob: AgentClient;
  let env: NodeJS.ProcessEnv;
  let source: Workspace;
  let listing: string;
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-backup-'));
  const file = path.join(dir, 'web.tar');
  after(() => rmSync(dir, { recursive: true, force: true }));

  const names = async () => (await alice.request('workspace.list', {})).workspaces.map((ws) => ws.name).sort();
  /** This agent's containers and volumes, by name. */
  const made = () =>
    ['container ls -a', 'volume ls'].map((list) =>
      spawnSync('sh', ['-c', `docker ${list} -q --filter label=dev.berth.agent=$(cat ${agent.stateDir}/agent-id)`], {
        encoding: 'utf8',
      })
        .stdout.split('\n')
        .filter(Boolean)
        .sort(),
    );

  before(async () => {
    alice = await agent.connect(agent.token('alice'));
    bob = await agent.connect(agent.token('bob'));
    env = cliEnv(agent.url, agent.token('alice'));
    await alice.request('user.addKey', { key: key.publicKey });
    ({ workspace: source } = await alice.request('workspace.create', { name: 'web', ...SMALL }));
    inContainer(source, MAKE_TREE);
    listing = inContainer(source, LIST_TREE);
  });

  it('backs up a running workspace to one plain tar, 0600, stopping it for the copy and starting it again', async () => {
    const run = berth(['backup', 'web', '-o', file], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Backed up web to .*web\.tar .*SSH host key.*stopped for the copy and started again/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(!existsSync(`${file}.partial`));
    const entries = spawnSync('tar', ['tf', file], { encoding: 'utf8' }).stdout.trim().split('\n');
    assert.equal(entries[0], 'berth/backup.json');
    assert.equal(entries.at(-1), 'berth/manifest.json');
    assert.ok(entries.includes('dev/tree/sub/a.txt'), entries.join(' '));
    const { workspace } = await alice.request('workspace.get', { name: 'web' });
    assert.equal(workspace.state, 'running');
  });

  it('restores under another name: the tree is byte-identical and the host key the same', async () => {
    const run = berth(['restore', file, '--name', 'copy'], env);
    assert.equal(run.code, 0, run.stderr);
    const { workspace: copy } = await alice.request('workspace.get', { name: 'copy' });
    assert.equal(copy.state, 'running');
    assert.equal(copy.owner, 'alice');
    assert.equal(inContainer(copy, LIST_TREE), listing);
    assert.equal(copy.ssh.hostKey, source.ssh.hostKey);
    // Stock ssh, StrictHostKeyChecking=yes, with the known_hosts line of the old workspace's key.
    const old = { ...copy, ssh: { ...copy.ssh, hostKey: source.ssh.hostKey } };
    const ssh = sshRun(old, key.privateKey, 'stat -c %s tree/random.bin');
    assert.equal(ssh.code, 0, ssh.stderr);
    assert.equal(ssh.stdout, '1048576\n');
  });

  it('refuses a name in use, saying to choose another, and makes nothing', async () => {
    const before = made();
    const run = berth(['restore', file], env);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /already have a workspace called "web".*--name NEW/);
    assert.deepEqual(made(), before);
  });

  const refused = async (bad: Buffer, reason: RegExp) => {
    const badFile = path.join(dir, 'bad.tar');
    writeFileSync(badFile, bad, { mode: 0o600 });
    const before = [await names(), made()];
    const run = berth(['restore', badFile, '--name', 'bad'], env);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, reason);
    assert.match(run.stderr, /nothing was created/);
    assert.deepEqual([await names(), made()], before);
  };

  it('refuses a truncated archive and makes nothing', async () => {
    const whole = readFileSync(file);
    await refused(whole.subarray(0, Math.floor(whole.length / 2)), /truncated/);
  });

  it('refuses a bit flipped in the home part, and one in backup.json, and makes nothing', async () => {
    const home = Buffer.from(readFileSync(file));
    const at = Math.floor(home.length / 3);
    home[at] = (home[at] ?? 0) ^ 0x10;
    await refused(home, /the home's files have sha256 [a-f0-9]{64}, the manifest says/);
    const info = Buffer.from(readFileSync(file));
    const inKey = info.indexOf('OPENSSH PRIVATE KEY');
    info[inKey] = (info[inKey] ?? 0) ^ 0x20;
    await refused(info, /backup\.json has sha256 .*the manifest says/);
  });

  it('the agent checks again as it receives: a corrupted upload is refused and nothing is left', async () => {
    const bad = Buffer.from(readFileSync(file));
    const at = Math.floor(bad.length / 2);
    bad[at] = (bad[at] ?? 0) ^ 0x01;
    const badFile = path.join(dir, 'bad-upload.tar');
    writeFileSync(badFile, bad);
    const before = [await names(), made()];
    const upload = streamRequest(
      alice,
      'workspace.restore',
      { name: 'uploaded', bytes: bad.length },
      { stdout: new PassThrough(), stderr: new PassThrough(), stdin: createReadStream(badFile).pause() },
    );
    const err = await upload.then(
      () => assert.fail('a corrupted upload was accepted'),
      (e: BerthError) => e,
    );
    assert.equal(err.code, 'invalid_params');
    assert.match(err.message, /the backup is refused: the home's files have sha256/);
    await waitFor('what the refused restore made to be gone', async () =>
      JSON.stringify([await names(), made()]) === JSON.stringify(before) ? true : false,
    );
  });

  it('the file travels in binary frames both ways (no base64 in JSON), and restores byte for byte', async () => {
    const events: string[] = [];
    const off = alice.onEvent((event) => events.push(event.event));
    const chunks: Buffer[] = [];
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    let result;
    try {
      result = await streamRequest(
        alice,
        'workspace.backup',
        { name: 'web' },
        { stdout: out, stderr: out, stdin: null },
      );
    } finally {
      off();
    }
    const backup = Buffer.concat(chunks);
    assert.equal(backup.length, result.bytes);
    assert.ok(!events.includes('workspace.exec.output'), 'the backup came as base64 events');
    const binaryFile = path.join(dir, 'binary.tar');
    writeFileSync(binaryFile, backup);
    const { workspace } = await streamRequest(
      alice,
      'workspace.restore',
      { name: 'binary', bytes: backup.length },
      {
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        stdin: createReadStream(binaryFile).pause(),
        binaryInput: true,
      },
    );
    assert.equal(inContainer(workspace, LIST_TREE), listing);
    await alice.request('workspace.delete', { name: 'binary', deleteData: true });
  });

  it('Ctrl-C mid-backup leaves no file, and the workspace running again', async () => {
    const target = path.join(dir, 'cancelled.tar');
    const run = startBerth(['backup', 'web', '-o', target], env);
    await waitFor(
      'the backup to be under way',
      () => (statSync(`${target}.partial`, { throwIfNoEntry: false })?.size ?? 0) > 4 * MiB,
    );
    run.child.kill('SIGINT');
    const exit = await run.exited;
    assert.equal(exit.code, 130, run.stderr());
    assert.match(run.stderr(), /Cancelled; no file was written/);
    assert.ok(!existsSync(target) && !existsSync(`${target}.partial`));
    await waitFor(
      'the workspace to run again',
      async () =>
        (await alice.request('workspace.get', { name: 'web' })).workspace.state === 'running' &&
        (await alice.request('workspace.exec', { name: 'web', command: ['true'] })).exitCode === 0,
    );
  });

  it('another user cannot back up your workspace', async () => {
    for (const params of [{ name: 'web', owner: 'alice' }, { name: 'web' }]) {
      const err = await bob.request('workspace.backup', params).then(
        () => assert.fail("bob backed up alice's workspace"),
        (e: BerthError) => e,
      );
      assert.equal(err.code, 'owner' in params ? 'forbidden' : 'not_found');
    }
  });
});
