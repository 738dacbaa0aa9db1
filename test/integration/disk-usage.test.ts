import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { AgentClient } from '../../client/agent-client';
import { type BerthError, type Workspace } from '../../protocol';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

// Issue 11 Medium 6: one workspace could fill the host's disk unseen. Each workspace's home and
// writable layer are measured (Docker's disk-usage API), shown in berth ls -o wide, berth info and
// the workspace itself, and an admin's soft quota per user refuses new workspaces once exceeded.

const MiB = 1024 ** 2;
const SMALL = { cpus: 0.5, memory: 256 * MiB };

/** Writes `mib` MiB of zeros to `file` inside the workspace's container, as its user would. */
function fill(ws: Workspace, file: string, mib: number): void {
  execFileSync('docker', ['exec', `berth-${ws.id}`, 'dd', 'if=/dev/zero', `of=${file}`, 'bs=1M', `count=${mib}`], {
    stdio: 'ignore',
  });
}

describe('agent: disk use per workspace and a soft disk quota per user', function () {
  this.timeout(120_000);
  const agent = useAgent({ args: ['--disk-interval', '1s'] });
  let alice: AgentClient;
  let adminToken: string;

  before(async () => {
    alice = await agent.connect(agent.token('alice'));
    adminToken = agent.token('root-admin', true);
  });

  it('measures the home volume and the writable layer of each workspace', async () => {
    const { workspace } = await alice.request('workspace.create', { name: 'big', ...SMALL });
    fill(workspace, `/home/${workspace.spec.user}/blob`, 24);
    fill(workspace, '/var/tmp/layer-blob', 8);
    const measured = await waitFor('the new files to be measured', async () => {
      const { workspace: ws } = await alice.request('workspace.get', { name: 'big' });
      return (ws.disk?.home ?? 0) >= 24 * MiB && (ws.disk?.layer ?? 0) >= 8 * MiB ? ws : false;
    });
    assert.ok(measured.disk!.home! < 40 * MiB, `home ${measured.disk!.home}`);
    assert.ok(!Number.isNaN(Date.parse(measured.disk!.at)));
    const wide = berth(['ls', '-o', 'wide'], cliEnv(agent.url, agent.token('alice')));
    assert.equal(wide.code, 0, wide.stderr);
    assert.match(wide.stdout, /HOME\s+LAYER/);
    assert.match(wide.stdout, /^big\s.*\s2\d(\.\d)? MiB\s+\d+(\.\d)? MiB/m);
    const narrow = berth(['ls'], cliEnv(agent.url, agent.token('alice')));
    assert.doesNotMatch(narrow.stdout, /HOME/);
  });

  it('refuses new workspaces of a user over the soft disk quota, and no one else', async () => {
    const set = berth(['quota', 'alice', '--disk', '10m'], cliEnv(agent.url, adminToken));
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^alice: no limit \(the agent's default\), a soft disk quota of 10 MiB$/m);
    const { workspace } = await alice.request('workspace.get', { name: 'big' });
    assert.equal(workspace.disk?.overQuota?.quota, 10 * MiB);
    assert.ok(workspace.disk.overQuota.used >= 32 * MiB);
    const refused = await alice.request('workspace.create', { name: 'more', ...SMALL }).then(
      () => assert.fail('created over the quota'),
      (err: unknown) => err as BerthError,
    );
    assert.equal(refused.code, 'no_capacity');
    assert.match(refused.message, /over the 10 MiB quota an admin set.*berth rm NAME --delete-data/);
    // Deleting the workspace but keeping its home frees nothing on the disk: still over.
    await alice.request('workspace.delete', { name: 'big', deleteData: false });
    const measuredAt = (await alice.request('host.info', {})).disk?.at ?? '';
    await waitFor('a measurement after the delete', async () => {
      const { disk } = await alice.request('host.info', {});
      return disk?.at && disk.at > measuredAt;
    });
    const still = await alice.request('workspace.create', { name: 'more', ...SMALL }).then(
      () => assert.fail('created over the quota with the data kept'),
      (err: unknown) => err as BerthError,
    );
    assert.equal(still.code, 'no_capacity');
    const bob = await agent.connect(agent.token('bob'));
    const { workspace: bobs } = await bob.request('workspace.create', { name: 'fine', ...SMALL });
    assert.equal(bobs.disk?.overQuota, undefined);
    const info = berth(['info'], cliEnv(agent.url, adminToken));
    assert.match(info.stdout, /alice: \d+(\.\d)? MiB of 10 MiB quota \(over: new workspaces refused\)/);
    assert.match(info.stdout, /bob: /);
    // A user sees only their own figures.
    const own = await bob.request('host.info', {});
    assert.deepEqual(
      own.disk?.users.map((user) => user.user),
      ['bob'],
    );
  });

  it('lets the user create again once the quota is removed', async () => {
    const cleared = berth(['quota', 'alice', '--disk', 'default'], cliEnv(agent.url, adminToken));
    assert.equal(cleared.code, 0, cleared.stderr);
    const { workspace } = await alice.request('workspace.create', { name: 'more', ...SMALL });
    assert.equal(workspace.disk?.overQuota, undefined);
  });

  it('refuses a quota without a size, and a non-admin setting one', async () => {
    const bad = berth(['quota', 'alice', '--disk', 'lots'], cliEnv(agent.url, adminToken));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--disk lots: expected a size such as 50g/);
    const refused = await alice.request('user.setQuota', { user: 'alice', disk: 0 }).catch((err: unknown) => err);
    assert.equal((refused as BerthError).code, 'forbidden');
  });
});
