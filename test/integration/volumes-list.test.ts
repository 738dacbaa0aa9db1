import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { AgentClient } from '../../client/agent-client';
import type { NamedVolume } from '../../protocol';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { docker, dockerExists } from '../support/docker';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

// Named volumes outlive every workspace delete and count against their owner's disk quota: Berth
// lists them (owner, size, the workspaces naming them) and deletes one, after a double confirmation,
// once no workspace names it; a user sees and deletes only their own.

const MiB = 1024 ** 2;
const SMALL = { cpus: 0.5, memory: 256 * MiB };

describe('volumes: named volumes are listed and deleted through Berth', function () {
  this.timeout(180_000);
  const agent = useAgent({ args: ['--disk-interval', '1s'] });
  let alice: AgentClient;
  let admin: AgentClient;
  let aliceEnv: NodeJS.ProcessEnv;
  let bobEnv: NodeJS.ProcessEnv;
  let adminEnv: NodeJS.ProcessEnv;
  /** alice's `notes`, as her listing first showed it. */
  let notes: NamedVolume;
  /** A Docker volume named as bob's `stray` would be, made by hand without Berth's labels. */
  let stray = '';
  after(() => void (stray && spawnSync('docker', ['volume', 'rm', '-f', stray], { stdio: 'ignore' })));

  /** The named volumes `berth volumes ls --json` shows with `env`. */
  const listed = (env: NodeJS.ProcessEnv): NamedVolume[] => {
    const ls = berth(['volumes', 'ls', '--json'], env);
    assert.equal(ls.code, 0, ls.stderr);
    return (JSON.parse(ls.stdout) as { volumes: NamedVolume[] }).volumes;
  };

  before(async () => {
    alice = await agent.connect(agent.token('alice'));
    admin = await agent.connect(agent.token('root', true));
    aliceEnv = cliEnv(agent.url, agent.token('alice'));
    bobEnv = cliEnv(agent.url, agent.token('bob'));
    adminEnv = cliEnv(agent.url, agent.token('root', true));
    await alice.request('workspace.create', {
      name: 'vl-web',
      ...SMALL,
      volumes: [{ name: 'notes', target: '/notes' }],
    });
    const write = berth(
      ['exec', 'vl-web', '--', 'sh', '-c', 'head -c 2097152 /dev/zero > /notes/blob && sync'],
      aliceEnv,
    );
    assert.equal(write.code, 0, write.stderr);
  });

  it('lists a volume a create made for its owner, with its Docker volume, its workspace and its measured size', async () => {
    notes = await waitFor("alice's notes to be measured", () => {
      const found = listed(aliceEnv).find((volume) => volume.name === 'notes');
      return found && (found.bytes ?? 0) >= 2 * MiB ? found : false;
    });
    assert.equal(notes.owner, 'alice');
    assert.match(notes.volume, /^berth-vol-[0-9a-f]+-alice\.notes$/);
    assert.ok(dockerExists('volume', notes.volume));
    assert.deepEqual(notes.workspaces, ['vl-web']);
    assert.ok(notes.createdAt && !Number.isNaN(Date.parse(notes.createdAt)), String(notes.createdAt));
    const ls = berth(['volumes', 'ls'], aliceEnv);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^NAME\s+OWNER\s+WORKSPACES\s+SIZE\s+CREATED$/m);
    assert.match(ls.stdout, /^notes\s+alice\s+vl-web\s+2(\.\d)? MiB\s+\d{4}-\d\d-\d\d \d\d:\d\d/m);
  });

  it('does not list it for another user', () => {
    assert.deepEqual(listed(bobEnv), []);
    const ls = berth(['volumes', 'ls'], bobEnv);
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal(ls.stdout, 'No named volumes.\n');
  });

  it('refuses to delete it while a workspace names it, naming that workspace', () => {
    const rm = berth(['volumes', 'rm', 'notes', '--yes', '--confirm', 'notes'], aliceEnv);
    assert.equal(rm.code, 1, rm.stdout);
    assert.match(rm.stderr, /volume notes is named by workspace "vl-web"; nothing deleted/);
    assert.ok(dockerExists('volume', notes.volume), 'the volume was deleted');
  });

  it('after the workspace is deleted, refuses without --yes and --confirm and deletes nothing', async () => {
    await alice.request('workspace.delete', { name: 'vl-web', deleteData: true, now: true });
    assert.deepEqual(listed(aliceEnv).find((volume) => volume.name === 'notes')?.workspaces, []);
    const bare = berth(['volumes', 'rm', 'notes'], aliceEnv);
    assert.equal(bare.code, 1);
    assert.match(
      bare.stderr,
      /deleting volume notes deletes every file in it; say so twice: --yes, then its name again \(--confirm notes\)/,
    );
    const once = berth(['volumes', 'rm', 'notes', '--yes'], aliceEnv);
    assert.equal(once.code, 1);
    assert.match(once.stderr, /--confirm notes/);
    const wrong = berth(['volumes', 'rm', 'notes', '--yes', '--confirm', 'other'], aliceEnv);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /--confirm other is not the volume to delete \(notes\); nothing deleted/);
    assert.ok(dockerExists('volume', notes.volume), 'the volume was deleted');
    const blob = docker(
      'run',
      '--rm',
      '-v',
      `${notes.volume}:/v`,
      'berth-base:bookworm',
      'stat',
      '-c',
      '%s',
      '/v/blob',
    );
    assert.equal(blob, String(2 * MiB), 'its file is gone');
  });

  it('another user cannot delete it: their own of that name is not found, naming its owner is forbidden', () => {
    const own = berth(['volumes', 'rm', 'notes', '--yes', '--confirm', 'notes'], bobEnv);
    assert.equal(own.code, 1);
    assert.match(own.stderr, /bob has no named volume "notes" on this host/);
    const theirs = berth(['volumes', 'rm', 'notes', '--owner', 'alice', '--yes', '--confirm', 'notes'], bobEnv);
    assert.equal(theirs.code, 1);
    assert.match(theirs.stderr, /the named volumes of alice are not yours/);
    assert.ok(dockerExists('volume', notes.volume), 'the volume was deleted');
  });

  it('an admin lists it, with its owner', () => {
    const found = listed(adminEnv).find((volume) => volume.volume === notes.volume);
    assert.equal(found?.owner, 'alice');
    assert.equal(found?.name, 'notes');
  });

  it("neither lists nor deletes a volume of that name made without Berth's labels", async () => {
    stray = notes.volume.replace(/-alice\.notes$/, '-bob.stray');
    docker('volume', 'create', stray);
    assert.deepEqual(listed(bobEnv), []);
    assert.ok(!(await admin.request('volume.list', {})).volumes.some((volume) => volume.volume === stray));
    const rm = berth(['volumes', 'rm', 'stray', '--yes', '--confirm', 'stray'], bobEnv);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /was not made by Berth for bob; it is left alone/);
    assert.ok(dockerExists('volume', stray), "a volume without Berth's labels was deleted");
  });

  it('refuses to delete a volume a workspace in the trash names (a restore brings it back), and deletes it once the trash is emptied', async () => {
    await alice.request('workspace.create', {
      name: 'vl-kept',
      ...SMALL,
      volumes: [{ name: 'kept', target: '/kept' }],
    });
    await alice.request('workspace.delete', { name: 'vl-kept', deleteData: true });
    const { entries } = await alice.request('trash.list', {});
    const entry = entries.find((trashed) => trashed.name === 'vl-kept');
    assert.ok(entry, 'the workspace did not go to the trash');
    const volume = listed(aliceEnv).find((named) => named.name === 'kept');
    assert.ok(volume, 'the volume is not listed');
    const refused = berth(['volumes', 'rm', 'kept', '--yes', '--confirm', 'kept'], aliceEnv);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /volume kept is named by deleted workspace "vl-kept" in the trash.*nothing deleted/);
    assert.ok(dockerExists('volume', volume.volume), 'the volume was deleted');
    await alice.request('trash.empty', { ids: [entry.id] });
    const rm = berth(['volumes', 'rm', 'kept', '--yes', '--confirm', 'kept'], aliceEnv);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(dockerExists('volume', volume.volume), false, 'the Docker volume is still there');
  });

  it('deletes it with --yes and --confirm: the Docker volume is gone and it is listed no more', () => {
    const rm = berth(['volumes', 'rm', 'notes', '--yes', '--confirm', 'notes'], aliceEnv);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(
      rm.stdout,
      new RegExp(
        `Deleted alice's volume notes \\(Docker volume ${notes.volume.replace(/\./g, '\\.')}\\) and every file in it`,
      ),
    );
    assert.equal(dockerExists('volume', notes.volume), false, 'the Docker volume is still there');
    assert.deepEqual(listed(aliceEnv), []);
    const again = berth(['volumes', 'rm', 'notes', '--yes', '--confirm', 'notes'], aliceEnv);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /alice has no named volume "notes"/);
  });
});
