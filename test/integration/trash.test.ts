import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import type { TrashEntry } from '../../protocol';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { docker, dockerBuild, dockerExists } from '../support/docker';
import { sshKeyPair, sshRun } from '../support/ssh';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';
import { refusal } from '../support/refusal';

// Issue 14, "Trash": rm --delete-data moves the home into a trash kept for a host-set period instead
// of deleting it; --now deletes at once. The trash is listed, restored (under another name too),
// emptied, and emptied on schedule; each user's is their own.

const MiB = 1024 ** 2;
const SMALL = { cpus: 0.5, memory: 256 * MiB };

describe('trash: a home deleted with its data stays restorable for the host-set period', function () {
  this.timeout(240_000);
  const agent = useAgent({ args: ['--disk-interval', '1s'] });
  const key = sshKeyPair();
  let alice: AgentClient;
  let bob: AgentClient;
  let admin: AgentClient;
  let env: NodeJS.ProcessEnv;
  let id: string;

  const trashOf = async (client: AgentClient): Promise<TrashEntry[]> =>
    (await client.request('trash.list', {})).entries;

  before(async () => {
    alice = await agent.connect(agent.token('alice'));
    bob = await agent.connect(agent.token('bob'));
    admin = await agent.connect(agent.token('root', true));
    env = cliEnv(agent.url, agent.token('alice'));
    await alice.request('user.addKey', { key: key.publicKey });
    const { workspace } = await alice.request('workspace.create', { name: 'web', ...SMALL, env: { MARK: 'kept' } });
    id = workspace.id;
    const write = sshRun(workspace, key.privateKey, 'echo only-mine > ~/proof && mkdir ~/empty && sync');
    assert.equal(write.code, 0, write.stderr);
  });

  it('rm --delete-data moves the home into the trash and says until when', async () => {
    const rm = berth(['rm', 'web', '--delete-data', '--yes'], env);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /its home is in the trash until \d{4}-\d\d-\d\d \d\d:\d\d \S+, then deleted for good/);
    assert.match(rm.stdout, /berth trash restore web/);
    assert.ok(dockerExists('volume', `berth-${id}-home`));
    const [entry] = await trashOf(alice);
    assert.equal(entry?.id, id);
    assert.equal(entry?.name, 'web');
    assert.equal(entry?.owner, 'alice');
    const days = (Date.parse(entry?.expiresAt ?? '') - Date.parse(entry?.deletedAt ?? '')) / 86_400_000;
    assert.equal(Math.round(days), 7, 'kept 7 days by default');
    assert.ok(!(await alice.request('home.list', {})).homes.some((home) => home.id === id), 'not a kept home');
    assert.deepEqual((await alice.request('host.info', {})).orphans, [], 'not an orphan');
    const ls = berth(['trash', 'ls'], env);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^NAME\s+HOME\s+SIZE\s+DELETED\s+DELETED FOR GOOD$/m);
    assert.match(ls.stdout, new RegExp(`^web\\s+${id}\\s`, 'm'));
    assert.match(ls.stdout, /kept 7d after the delete; they count against no quota/);
  });

  it('another user neither sees nor restores it; an admin sees it but cannot restore it', async () => {
    assert.deepEqual(await trashOf(bob), []);
    assert.equal((await refusal(bob.request('trash.restore', { name: 'web' }))).code, 'not_found');
    assert.equal((await refusal(bob.request('trash.restore', { id }))).code, 'not_found');
    assert.equal((await refusal(bob.request('workspace.create', { name: 'x', home: id, ...SMALL }))).code, 'forbidden');
    assert.equal((await bob.request('trash.empty', {})).removed.length, 0);
    assert.ok((await trashOf(admin)).some((entry) => entry.id === id && entry.owner === 'alice'));
    assert.equal((await refusal(admin.request('trash.restore', { id }))).code, 'not_found');
    assert.equal((await refusal(bob.request('trash.empty', { all: true }))).code, 'forbidden');
    assert.ok(dockerExists('volume', `berth-${id}-home`));
  });

  it('refuses hostile names and ids', async () => {
    for (const params of [{ name: '../web' }, { id: '../../x' }, { name: 'web', as: 'a b' }, {}]) {
      assert.equal(
        (await refusal(alice.request('trash.restore', params))).code,
        'invalid_params',
        JSON.stringify(params),
      );
    }
    const cli = berth(['trash', 'restore', 'web', '--as', 'bad/name'], env);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /as/);
  });

  it('restores it under another name (--as) with its files and definition, once', async () => {
    const cli = berth(['trash', 'restore', 'web', '--as', 'back'], env);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /Restored back from the trash/);
    const { workspace } = await alice.request('workspace.get', { name: 'back' });
    assert.equal(workspace.id, id);
    assert.equal(workspace.spec.env.MARK, 'kept');
    const read = sshRun(workspace, key.privateKey, 'cat ~/proof && test -d ~/empty');
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout, 'only-mine\n');
    assert.deepEqual(await trashOf(alice), []);
  });

  it('restores it under its own name after a second delete', async () => {
    await alice.request('workspace.delete', { name: 'back', deleteData: true });
    assert.equal((await refusal(alice.request('trash.restore', { name: 'web' }))).code, 'not_found', 'named back now');
    const { workspace } = await alice.request('trash.restore', { name: 'back' });
    assert.equal(workspace.name, 'back');
    assert.equal(sshRun(workspace, key.privateKey, 'cat ~/proof').stdout, 'only-mine\n');
  });

  it('rm --delete-data --now deletes the files at once and says so', () => {
    const rm = berth(['rm', 'back', '--delete-data', '--now', '--yes'], env);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /Deleted back and its data, at once \(not kept in the trash\)/);
    assert.ok(!dockerExists('volume', `berth-${id}-home`));
    const noData = berth(['rm', 'x', '--now', '--yes'], env);
    assert.equal(noData.code, 2);
    assert.match(noData.stderr, /--now goes with --delete-data/);
  });

  it("trash empty deletes only the caller's, after asking", async () => {
    const { workspace: mine } = await alice.request('workspace.create', { name: 'a', ...SMALL });
    const { workspace: theirs } = await bob.request('workspace.create', { name: 'b', ...SMALL });
    await alice.request('workspace.delete', { name: 'a', deleteData: true });
    await bob.request('workspace.delete', { name: 'b', deleteData: true });
    const unasked = berth(['trash', 'empty'], env);
    assert.equal(unasked.code, 1);
    assert.match(unasked.stderr, /deletes every file in it: 1 home \(a \(.*\)\); add --yes/);
    const emptied = berth(['trash', 'empty', '--yes'], env);
    assert.equal(emptied.code, 0, emptied.stderr);
    assert.match(emptied.stdout, new RegExp(`Deleted for good 1 home: a \\(${mine.id}\\)`));
    assert.ok(!dockerExists('volume', `berth-${mine.id}-home`));
    assert.ok(dockerExists('volume', `berth-${theirs.id}-home`), "bob's stays");
    assert.equal((await trashOf(bob)).length, 1);
  });
});

describe('trash: emptied on schedule after the period the host sets', function () {
  this.timeout(120_000);
  const agent = useAgent({ args: ['--trash-keep', '3s'] });

  it('deletes the trashed home for good once its period is over', async () => {
    const client = await agent.connect(agent.token('alice'));
    const { workspace } = await client.request('workspace.create', { name: 'brief', ...SMALL });
    const deleted = await client.request('workspace.delete', { name: 'brief', deleteData: true });
    assert.ok(deleted.trashedUntil);
    assert.ok(dockerExists('volume', `berth-${workspace.id}-home`), 'in the trash first');
    await waitFor(
      'the trashed home to be deleted',
      () => !dockerExists('volume', `berth-${workspace.id}-home`),
      30_000,
      500,
    );
    assert.deepEqual((await client.request('trash.list', {})).entries, []);
  });

  it('refuses a --trash-keep without a unit', () => {
    const bad = berth(['serve', '--trash-keep', '7']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--trash-keep 7: /);
  });
});

describe('trash: a restore that fails leaves the home in the trash', function () {
  this.timeout(120_000);
  const NO_SSHD = 'berth-test-trash-no-sshd:latest';
  before(() => dockerBuild(NO_SSHD, 'FROM berth-base:bookworm\nRUN rm -f /usr/sbin/sshd\n'));
  after(() => docker('rmi', '-f', NO_SSHD));
  const agent = useAgent();

  it('keeps the trashed home, and its entry, when the restored workspace cannot start', async () => {
    const client = await agent.connect(agent.token('alice'));
    const { workspace } = await client.request('workspace.create', { name: 'ok', ...SMALL });
    // Its definition now names an image without sshd: a restore from the trash fails to start.
    await client.request('workspace.stop', { name: 'ok' });
    await client.request('workspace.update', { name: 'ok', changes: { image: NO_SSHD } });
    await client.request('workspace.delete', { name: 'ok', deleteData: true });
    const failed = await refusal(client.request('trash.restore', { name: 'ok' }));
    assert.match(failed.message, /sshd/);
    assert.ok(dockerExists('volume', `berth-${workspace.id}-home`));
    const entries = (await client.request('trash.list', {})).entries;
    assert.deepEqual(
      entries.map((entry) => [entry.id, entry.name]),
      [[workspace.id, 'ok']],
    );
    assert.deepEqual((await client.request('workspace.list', {})).workspaces, []);
  });
});
