import * as assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import type { Workspace } from '../../protocol';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { dockerExists } from '../support/docker';
import { fakeGpuEnv } from '../support/fake-gpus';
import { RecordingDockerProxy } from '../support/recording-proxy';
import { sshKeyPair, sshRun } from '../support/ssh';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';
import { refusal } from '../support/refusal';

// Issue 14, "Archive / unarchive": the container goes, its SSH port and GPUs are freed; the home, the
// definition and the host key stay, and unarchive brings it back on its old port when free.

const MiB = 1024 ** 2;
const SMALL = { cpus: 0.5, memory: 256 * MiB };

/**
 * A known tree in the home: contents, modes, owners (one file root's), a symlink and a dangling one,
 * an empty directory, and a 500 MiB sparse file with bytes at both ends.
 */
const MAKE_TREE = [
  'set -e; mkdir -p ~/t/empty ~/t/sub; cd ~/t',
  'printf "hello\\n" > a.txt; chmod 640 a.txt',
  'printf "secret" > sub/root-owned; sudo chown root:root sub/root-owned; sudo chmod 600 sub/root-owned',
  'chmod 700 sub; chmod 1777 empty',
  'ln -s a.txt link; ln -s /nowhere dangling',
  'printf start > big; truncate -s 500M big; printf end >> big',
  'sync',
].join('; ');

/** A listing of the tree (type, mode, owner, size, mtime, link target) and a checksum of every file. */
const LIST_TREE = [
  "cd ~/t && sudo find . -printf '%p %y %m %u:%g %s %T@ %l\\n' | sort",
  'sudo find . -type f -exec sha256sum {} + | sort',
].join(' && ');

describe('archive: the container, port and GPUs go; home, definition and host key stay', function () {
  this.timeout(240_000);
  const agent = useAgent();
  const key = sshKeyPair();
  let alice: AgentClient;
  let bob: AgentClient;
  let env: NodeJS.ProcessEnv;
  let web: Workspace;
  let listing: string;

  before(async () => {
    alice = await agent.connect(agent.token('alice'));
    bob = await agent.connect(agent.token('bob'));
    env = cliEnv(agent.url, agent.token('alice'));
    await alice.request('user.addKey', { key: key.publicKey });
    await bob.request('user.addKey', { key: key.publicKey });
    ({ workspace: web } = await alice.request('workspace.create', { name: 'web', ...SMALL }));
    const made = sshRun(web, key.privateKey, MAKE_TREE);
    assert.equal(made.code, 0, made.stderr);
    const listed = sshRun(web, key.privateKey, LIST_TREE);
    assert.equal(listed.code, 0, listed.stderr);
    listing = listed.stdout;
    assert.match(listing, /\.\/big f 644 dev:dev 524288003 /);
    assert.match(listing, /\.\/sub\/root-owned f 600 root:root 6 /);
    assert.match(listing, /\.\/dangling l 777 dev:dev \d+ \S+ \/nowhere/);
  });

  it('berth archive removes the container, keeps the volume, and lists it apart', async () => {
    const archived = berth(['archive', 'web'], env);
    assert.equal(archived.code, 0, archived.stderr);
    assert.match(archived.stdout, new RegExp(`SSH port ${web.ssh.port} and any GPUs are free`));
    assert.ok(!dockerExists('container', `berth-${web.id}`), 'the container is gone');
    assert.ok(dockerExists('volume', `berth-${web.id}-home`), 'the home stays');
    const { workspace } = await alice.request('workspace.get', { name: 'web' });
    assert.equal(workspace.state, 'stopped');
    assert.ok(workspace.archivedAt && !Number.isNaN(Date.parse(workspace.archivedAt)));
    const ls = berth(['ls'], env);
    assert.doesNotMatch(ls.stdout, /^web\s/m);
    assert.match(ls.stdout, /^1 archived \(berth ls --archived\)$/m);
    const archivedLs = berth(['ls', '--archived'], env);
    assert.match(archivedLs.stdout, /^web\s+archived\s/m);
    const info = await alice.request('host.info', {});
    assert.equal(info.sshPorts.used, 0, 'an archived workspace holds no port');
  });

  it('refuses start and restart of an archived workspace, saying to unarchive it', async () => {
    for (const method of ['workspace.start', 'workspace.restart'] as const) {
      const err = await refusal(alice.request(method, { name: 'web' }));
      assert.equal(err.code, 'conflict');
      assert.match(err.message, /is archived .*unarchive it first \(berth unarchive web\)/);
    }
    const again = await alice.request('workspace.archive', { name: 'web' });
    assert.ok(again.workspace.archivedAt, 'archiving again changes nothing');
  });

  it('another user can neither archive nor unarchive it', async () => {
    assert.equal(
      (await refusal(bob.request('workspace.unarchive', { name: 'web', owner: 'alice' }))).code,
      'forbidden',
    );
    assert.equal((await refusal(bob.request('workspace.unarchive', { name: 'web' }))).code, 'not_found');
    assert.equal((await refusal(bob.request('workspace.archive', { name: 'web', owner: 'alice' }))).code, 'forbidden');
  });

  it('unarchive recreates it on its old port, with the same files and a host key the old known_hosts line accepts', async () => {
    const cli = berth(['unarchive', 'web'], env);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^web: running/m);
    const { workspace } = await alice.request('workspace.get', { name: 'web' });
    assert.equal(workspace.archivedAt, undefined);
    assert.equal(workspace.ssh.port, web.ssh.port);
    assert.equal(workspace.ssh.hostKey, web.ssh.hostKey);
    // `web` is the object from before the archive: its known_hosts line, StrictHostKeyChecking=yes.
    const listed = sshRun(web, key.privateKey, LIST_TREE);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, listing);
  });

  it('a port taken meanwhile is not reused: unarchive takes a new one, says so, and the host key still fits', async () => {
    // Fresh connections: the synchronous ssh and CLI runs before blocked this process past the keepalive.
    alice = await agent.connect(agent.token('alice'));
    bob = await agent.connect(agent.token('bob'));
    await alice.request('workspace.archive', { name: 'web' });
    const { workspace: other } = await bob.request('workspace.create', { name: 'other', ...SMALL });
    assert.equal(other.ssh.port, web.ssh.port, "the freed port is the lowest free one: bob's new workspace takes it");
    const { workspace, previousPort } = await alice.request('workspace.unarchive', { name: 'web' });
    assert.equal(previousPort, web.ssh.port);
    assert.notEqual(workspace.ssh.port, web.ssh.port);
    const moved = { ...workspace, ssh: { ...workspace.ssh, hostKey: web.ssh.hostKey } };
    assert.equal(sshRun(moved, key.privateKey, 'true').code, 0, 'the old host key on the new port');
    assert.equal(sshRun(other, key.privateKey, 'true').code, 0, "bob's keeps its port");
    await bob.request('workspace.delete', { name: 'other', deleteData: true, now: true });
    // Archived and back once more: the new port is its own now, and the CLI says nothing of a move.
    await alice.request('workspace.archive', { name: 'web' });
    const again = berth(['unarchive', 'web', '--json'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as Workspace).ssh.port, workspace.ssh.port);
  });

  it('refuses hostile names before anything is touched', async () => {
    alice = await agent.connect(agent.token('alice'));
    for (const name of ['../web', 'web;rm -rf /', '']) {
      assert.equal((await refusal(alice.request('workspace.archive', { name }))).code, 'invalid_params', name);
      assert.equal((await refusal(alice.request('workspace.unarchive', { name }))).code, 'invalid_params', name);
    }
    assert.equal((await refusal(alice.request('workspace.unarchive', { name: 'web' }))).code, 'conflict');
  });
});

describe('archive: unarchive asks what the host allows now', function () {
  this.timeout(240_000);
  // A host folder the admin allows to be bound, then no longer (the agent restarted without it).
  const allowed = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'berth-allowed-')));
  after(() => rmSync(allowed, { recursive: true, force: true }));
  const agent = useAgent({ args: ['--allow-bind', allowed] });

  it('refuses a workspace whose bind the admin no longer allows, saying why and what to do; it stays archived', async () => {
    let alice = await agent.connect(agent.token('alice'));
    const volumes = [{ bind: allowed, target: '/data' }];
    await alice.request('workspace.create', { name: 'bound', ...SMALL, volumes });
    await alice.request('workspace.archive', { name: 'bound' });
    await agent.stop();
    await agent.restart([]);
    try {
      alice = await agent.connect(agent.token('alice'));
      const err = await refusal(alice.request('workspace.unarchive', { name: 'bound' }));
      assert.equal(err.code, 'forbidden');
      assert.match(
        err.message,
        /^workspace "bound" stays archived: volumes\.0\.bind: .*this host allows no host folders to be bound; its admin may allow some \(berth serve --allow-bind PATH\[:ro\]\)$/,
      );
      const { workspace } = await alice.request('workspace.get', { name: 'bound' });
      assert.ok(workspace.archivedAt, 'the refused unarchive left it unarchived');
      assert.equal(workspace.state, 'stopped');
      assert.equal((await alice.request('host.info', {})).sshPorts.used, 0, 'the refused unarchive took a port');
    } finally {
      await agent.stop();
      await agent.restart(['--allow-bind', allowed]);
    }
    // Allowed again, it comes back from the state the refusal left.
    alice = await agent.connect(agent.token('alice'));
    const { workspace } = await alice.request('workspace.unarchive', { name: 'bound' });
    assert.equal(workspace.state, 'running');
    assert.equal(workspace.archivedAt, undefined);
  });
});

// The recording proxy runs in this process: only requests through the client (no CLI, which would
// block this process while the agent waits on the proxy).
describe('archive: GPUs (fake nvidia-smi, recording proxy)', function () {
  this.timeout(240_000);
  let proxy: RecordingDockerProxy;
  before(async () => {
    proxy = await RecordingDockerProxy.start();
  });
  after(() => proxy?.close());
  const agent = useAgent(() => ({ args: ['--docker-socket', proxy.socketPath], env: fakeGpuEnv('plain') }));
  let alice: AgentClient;
  before(async () => {
    alice = await agent.connect(agent.token('alice'));
  });

  it('frees the GPUs of a running workspace, and takes GPUs again at unarchive', async () => {
    const { workspace: gpu } = await alice.request('workspace.create', { name: 'train', ...SMALL, gpus: 1 });
    assert.equal(gpu.gpus?.length, 1);
    const held = async () => (await alice.request('host.info', {})).gpus.filter((g) => g.holders.length).length;
    assert.equal(await held(), 1);
    const { workspace } = await alice.request('workspace.archive', { name: 'train' });
    assert.equal(workspace.gpus, undefined);
    assert.equal(await held(), 0, 'no GPU is held by the archived workspace');
    const { workspace: back } = await alice.request('workspace.unarchive', { name: 'train' });
    assert.equal(back.state, 'running');
    assert.equal(back.gpus?.length, 1);
    assert.ok(back.gpus?.[0]?.uuid.startsWith('GPU-'));
    assert.deepEqual(proxy.createOf(back.id)?.body.HostConfig?.DeviceRequests?.[0]?.DeviceIDs, [back.gpus?.[0]?.uuid]);
    await alice.request('workspace.delete', { name: 'train', deleteData: true, now: true });
  });
});

describe('archive: after a long idle period, where the admin sets it (--archive-after)', function () {
  this.timeout(120_000);
  const agent = useAgent({ args: ['--archive-after', '2s'] });

  it('archives a workspace stopped longer than the period, and leaves a running one alone', async () => {
    const client = await agent.connect(agent.token('alice'));
    await client.request('workspace.create', { name: 'idle', ...SMALL });
    const { workspace: busy } = await client.request('workspace.create', { name: 'busy', ...SMALL });
    const { workspace: stopped } = await client.request('workspace.stop', { name: 'idle' });
    const archived = await waitFor(
      'the stopped workspace to be archived',
      async () => {
        const { workspace } = await client.request('workspace.get', { name: 'idle' });
        return workspace.archivedAt ? workspace : false;
      },
      30_000,
      250,
    );
    assert.ok(Date.parse(archived.archivedAt ?? '') - Date.parse(stopped.since) >= 2000, 'not before the period');
    assert.ok(!dockerExists('container', `berth-${archived.id}`));
    const { workspace: still } = await client.request('workspace.get', { name: 'busy' });
    assert.equal(still.state, 'running');
    assert.equal(still.archivedAt, undefined);
    assert.equal(still.id, busy.id);
  });
});
