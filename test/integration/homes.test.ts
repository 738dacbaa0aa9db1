import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import type { BerthError, Home, Workspace } from '../../protocol';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { docker, dockerBuild, dockerExists } from '../support/docker';
import { sshKeyPair, sshRun } from '../support/ssh';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';
import { refusal } from '../support/refusal';

// Issue 14, "Kept homes are first-class": berth rm kept the home volume and pointed at docker volume
// rm; nothing in Berth listed, reattached or deleted it. Homes are listed (owner, size, last use,
// workspace), reattached by their owner with create --home, and deleted after a double confirmation.

const MiB = 1024 ** 2;
const SMALL = { cpus: 0.5, memory: 256 * MiB };
const NO_SSHD = 'berth-test-homes-no-sshd:latest';

describe('homes: kept homes are listed, reattached and deleted through Berth', function () {
  this.timeout(180_000);
  const agent = useAgent({ args: ['--disk-interval', '1s'] });
  const key = sshKeyPair();
  let alice: AgentClient;
  let bob: AgentClient;
  let admin: AgentClient;
  let aliceEnv: NodeJS.ProcessEnv;
  let bobEnv: NodeJS.ProcessEnv;
  let first: Workspace;
  let id: string;

  const volume = () => `berth-${id}-home`;
  const homesOf = async (client: AgentClient): Promise<Home[]> => (await client.request('home.list', {})).homes;

  before(() => dockerBuild(NO_SSHD, 'FROM berth-base:bookworm\nRUN rm -f /usr/sbin/sshd /usr/bin/apt-get\n'));
  after(() => docker('rmi', '-f', NO_SSHD));
  // A volume made by hand is none the agent knows of, so its clean-up leaves it.
  const orphan = randomBytes(6).toString('hex');
  const stray = randomBytes(6).toString('hex');
  after(() => void spawnSync('docker', ['volume', 'rm', '-f', ...[orphan, stray].map((h) => `berth-${h}-home`)]));
  before(async () => {
    alice = await agent.connect(agent.token('alice'));
    bob = await agent.connect(agent.token('bob'));
    admin = await agent.connect(agent.token('root', true));
    aliceEnv = cliEnv(agent.url, agent.token('alice'));
    bobEnv = cliEnv(agent.url, agent.token('bob'));
    await alice.request('user.addKey', { key: key.publicKey });
    ({ workspace: first } = await alice.request('workspace.create', { name: 'web', ...SMALL }));
    id = first.id;
    const write = 'echo only-mine > ~/proof && head -c 3145728 /dev/zero > ~/blob && sync';
    assert.equal(sshRun(first, key.privateKey, write).code, 0);
  });

  it('berth rm keeps the home and says how to reattach or delete it, never docker volume rm', () => {
    const rm = berth(['rm', 'web', '--yes'], aliceEnv);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, new RegExp(`its home volume berth-${id}-home was kept \\(home ${id}\\)`));
    assert.match(rm.stdout, new RegExp(`berth create web --home ${id}`));
    assert.match(rm.stdout, new RegExp(`berth homes rm ${id}`));
    assert.doesNotMatch(rm.stdout, /docker volume rm/);
    assert.ok(dockerExists('volume', volume()));
  });

  it('homes ls lists the kept home with its owner, its measured size and no workspace', async () => {
    const home = await waitFor('the kept home to be measured', async () => {
      const found = (await homesOf(alice)).find((h) => h.id === id);
      return found && (found.bytes ?? 0) >= 3 * MiB ? found : false;
    });
    assert.equal(home.owner, 'alice');
    assert.equal(home.workspace, null);
    assert.equal(home.madeFor, 'web');
    assert.ok(home.lastUsed && !Number.isNaN(Date.parse(home.lastUsed)), 'the delete is its last use');
    const ls = berth(['homes', 'ls'], aliceEnv);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^HOME\s+OWNER\s+WORKSPACE\s+SIZE\s+LAST USED\s+MADE FOR$/m);
    assert.match(
      ls.stdout,
      new RegExp(
        `^${id}\\s+alice\\s+\\(kept, no workspace\\)\\s+3(\\.\\d)? MiB\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\S+\\s+web$`,
        'm',
      ),
    );
    assert.match(ls.stdout, /berth create NAME --home HOME/);
  });

  it("berth info shows the user's kept homes' total", () => {
    const info = berth(['info'], aliceEnv);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /^Disk\s+alice: .*; kept homes: 3(\.\d)? MiB in 1 \(berth homes ls\)$/m);
  });

  it('another user can neither list, reattach nor delete it; an admin lists it', async () => {
    assert.deepEqual(
      (await homesOf(bob)).map((h) => h.id),
      [],
    );
    const reattach = await refusal(bob.request('workspace.create', { name: 'steal', home: id, ...SMALL }));
    assert.equal(reattach.code, 'forbidden');
    assert.match(reattach.message, new RegExp(`home ${id} is not yours`));
    const remove = await refusal(bob.request('home.delete', { id }));
    assert.equal(remove.code, 'forbidden');
    const cli = berth(['homes', 'rm', id, '--yes', '--confirm', id], bobEnv);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /is not yours/);
    const adminsReattach = await refusal(admin.request('workspace.create', { name: 'take', home: id, ...SMALL }));
    assert.equal(adminsReattach.code, 'forbidden');
    assert.match(adminsReattach.message, /belongs to alice; only its owner can reattach it/);
    assert.ok((await homesOf(admin)).some((h) => h.id === id && h.owner === 'alice'));
    assert.equal((await bob.request('workspace.list', {})).workspaces.length, 0, 'no workspace was made');
    assert.ok(dockerExists('volume', volume()));
  });

  it('refuses ids that are not home ids before anything reaches Docker', async () => {
    for (const bad of ['../x', `${id}/../../containers/json`, 'berth-x-home', `${id.toUpperCase()}`]) {
      assert.equal((await refusal(alice.request('home.delete', { id: bad }))).code, 'invalid_params', bad);
    }
    const create = await refusal(alice.request('workspace.create', { name: 'x', home: '../../volumes/x' }));
    assert.equal(create.code, 'invalid_params');
    const cli = berth(['create', 'x', '--home', 'x;rm -rf'], aliceEnv);
    assert.equal(cli.code, 2);
    assert.match(cli.stderr, /"x;rm -rf" is not a home id/);
  });

  it('homes rm deletes nothing without the double confirmation', () => {
    const noYes = berth(['homes', 'rm', id], aliceEnv);
    assert.equal(noYes.code, 1);
    assert.match(noYes.stderr, /deletes every file in it; say so twice: --yes, then its id again \(--confirm /);
    const yesOnly = berth(['homes', 'rm', id, '--yes'], aliceEnv);
    assert.equal(yesOnly.code, 1);
    assert.match(yesOnly.stderr, /say so twice/);
    const wrong = berth(['homes', 'rm', id, '--yes', '--confirm', '000000000000'], aliceEnv);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /is not the home to delete/);
    assert.ok(dockerExists('volume', volume()));
  });

  it('a reattach that fails keeps the home and its files', async () => {
    // An image without sshd: the workspace's init fails, and the create is rolled back.
    const failed = berth(['create', 'broken', '--home', id, '--image', NO_SSHD], aliceEnv);
    assert.equal(failed.code, 1, failed.stdout);
    assert.match(failed.stderr, /sshd/);
    assert.ok(dockerExists('volume', volume()), 'the rollback removed the reattached home');
    const home = (await homesOf(alice)).find((h) => h.id === id);
    assert.equal(home?.workspace, null);
    assert.ok(home?.lastUsed, 'its last use is remembered again');
  });

  it('gives a home to one of two creates that ask for it at once, and refuses the other', async () => {
    const outcomes = await Promise.allSettled(
      ['race1', 'race2'].map((name) => alice.request('workspace.create', { name, home: id, ...SMALL })),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.equal(won.length, 1, JSON.stringify(outcomes));
    assert.equal((lost[0]?.reason as BerthError).code, 'conflict');
    const { workspaces } = await alice.request('workspace.list', {});
    assert.deepEqual(
      workspaces.map((ws) => ws.id),
      [id],
    );
    await alice.request('workspace.delete', { name: workspaces[0]!.name });
    assert.ok(dockerExists('volume', volume()));
  });

  it('create --home reattaches the home: the new workspace finds the file', async () => {
    const created = berth(['create', 'web2', '--home', `berth-${id}-home`, '--json', '--quiet'], aliceEnv);
    assert.equal(created.code, 0, created.stderr);
    const workspace = JSON.parse(created.stdout) as Workspace;
    assert.equal(workspace.id, id);
    assert.equal(sshRun(workspace, key.privateKey, 'cat ~/proof').stdout, 'only-mine\n');
    const home = (await homesOf(alice)).find((h) => h.id === id);
    assert.equal(home?.workspace, 'web2');
  });

  it('refuses to reattach or delete a home in use by a workspace', async () => {
    const again = await refusal(alice.request('workspace.create', { name: 'web3', home: id, ...SMALL }));
    assert.equal(again.code, 'conflict');
    assert.match(again.message, new RegExp(`home ${id} is in use by workspace "web2"`));
    const cli = berth(['homes', 'rm', id, '--yes', '--confirm', id], aliceEnv);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /is in use by workspace "web2"; delete that workspace first \(berth rm web2\)/);
    assert.ok(dockerExists('volume', volume()));
  });

  it('homes rm deletes a kept home after the double confirmation', async () => {
    assert.equal(berth(['rm', 'web2', '--yes'], aliceEnv).code, 0);
    const rm = berth(['homes', 'rm', id, '--yes', '--confirm', id], aliceEnv);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, new RegExp(`Deleted home ${id} \\(volume berth-${id}-home\\) and every file in it`));
    assert.equal(dockerExists('volume', volume()), false);
    assert.equal((await homesOf(alice)).length, 0);
    const gone = await refusal(alice.request('home.delete', { id }));
    assert.equal(gone.code, 'not_found');
  });

  it('shows a home without an owner label to admins only, and lets an admin delete it', async () => {
    const agentId = readFileSync(path.join(agent.stateDir, 'agent-id'), 'utf8').trim();
    docker(
      ...['volume', 'create', '--label', `dev.berth.agent=${agentId}`, '--label', `dev.berth.workspace=${orphan}`],
      `berth-${orphan}-home`,
    );
    assert.equal((await homesOf(alice)).length, 0);
    const listed = (await homesOf(admin)).find((h) => h.id === orphan);
    assert.equal(listed?.owner, null);
    const ls = berth(['homes', 'ls'], cliEnv(agent.url, agent.token('root', true)));
    assert.match(ls.stdout, new RegExp(`^${orphan}\\s+\\(unknown\\)`, 'm'));
    assert.match(ls.stdout, /only admins see it/);
    assert.equal((await refusal(alice.request('home.delete', { id: orphan }))).code, 'forbidden');
    await admin.request('home.delete', { id: orphan });
    assert.equal(dockerExists('volume', `berth-${orphan}-home`), false);
  });

  it('counts a stray home that a failed reattach left as kept, no orphan, after a restart', async () => {
    const agentId = readFileSync(path.join(agent.stateDir, 'agent-id'), 'utf8').trim();
    const labels = [`dev.berth.agent=${agentId}`, `dev.berth.workspace=${stray}`, 'dev.berth.owner=alice'];
    docker('volume', 'create', ...labels.flatMap((label) => ['--label', label]), `berth-${stray}-home`);
    const failed = berth(['create', 'stray', '--home', stray, '--image', NO_SSHD], aliceEnv);
    assert.equal(failed.code, 1, failed.stdout);
    await agent.stop();
    await agent.restart();
    const root = await agent.connect(agent.token('root', true));
    const { orphans } = await root.request('host.info', {});
    assert.ok(!orphans.includes(`volume berth-${stray}-home`), orphans.join(', '));
    assert.ok(dockerExists('volume', `berth-${stray}-home`));
  });
});
