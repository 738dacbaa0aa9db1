import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import { statusView } from '../../extension/wording/countdown';
import { PendingWarnings, missedWarnings, type IdleWarning } from '../../extension/idle/pending';
import { ActivityReporter } from '../../extension/idle/reporter';
import type { Workspace } from '../../protocol';
import { watchConnection, type WatchedConnection } from '../support/host-connection';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

/** The agent's idle settings here: warned 5 s before a stop after 12 s without anyone, sampled every second. */
const IDLE_ARGS = ['--idle-timeout', '12s', '--idle-warn-before', '5s', '--idle-interval', '1s'];
const KEEPALIVE_ARGS = ['--keepalive-max', '1h', '--keepalive-default', '10m'];
const MiB = 1024 ** 2;

/** Asserts that `keepUntil` is `ms` after the agent handled a request sent at `asked` and answered by now. */
function assertKeptFor(keepUntil: string, ms: number, asked: number): void {
  const until = Date.parse(keepUntil);
  const answered = Date.now();
  assert.ok(until >= asked + ms && until <= answered + ms, `kept until ${keepUntil}, asked for ${ms} ms at ${asked}`);
}

/**
 * The extension's idle logic (presence reporter, pending warnings, status bar countdown) through a
 * real HostConnection to a real agent whose idle monitor runs on seconds, on real Docker.
 */
describe('extension idle: presence, warnings and keepalive against a real agent', function () {
  this.timeout(120_000);
  // Registered before the agent's hooks, so the connection ends before the agent does.
  after(() => lab?.connection.dispose());
  const agent = useAgent({ args: [...IDLE_ARGS, ...KEEPALIVE_ARGS] });
  /** Another client of the same user, reading what the agent holds. */
  let other: AgentClient;
  let lab: WatchedConnection;
  const onAgent = async (name: string): Promise<Workspace> =>
    (await other.request('workspace.get', { name })).workspace;

  before(async () => {
    const token = agent.token('alice');
    other = await agent.connect(token);
    lab = watchConnection(agent.url, token);
    await waitFor('the connection to be connected', () => lab.connection.status.kind === 'connected');
  });

  it('moves the workspace’s last activity to "present" with one report for a burst of events', async () => {
    // Its own timeout keeps this one clear of the idle monitor while the test runs.
    await other.request('workspace.create', { name: 'typing', memory: 256 * MiB, idleTimeout: 600 });
    const before = await onAgent('typing');
    assert.equal(before.lastActivity?.signal, 'started');
    let sent = 0;
    const reporter = new ActivityReporter(
      async () => {
        sent++;
        await lab.connection.request('workspace.activity', { name: 'typing', signal: 'present' });
      },
      (err) => assert.fail(`the report failed: ${String(err)}`),
      2_000,
    );
    try {
      await waitFor('a clock tick past the start', () => Date.now() > Date.parse(before.lastActivity!.at) + 5);
      for (let event = 0; event < 20; event++) reporter.activity();
      assert.equal(sent, 1, 'twenty events, one report at once');
      const moved = await waitFor('lastActivity "present" on the agent', async () => {
        const now = await onAgent('typing');
        return now.lastActivity?.signal === 'present' && now.lastActivity;
      });
      assert.ok(
        Date.parse(moved.at) > Date.parse(before.lastActivity.at),
        `${moved.at} after ${before.lastActivity.at}`,
      );
      await waitFor('the folded report at the end of the interval', () => sent === 2);
    } finally {
      reporter.dispose();
    }
  });

  it('delivers the idle warning, rebuilt for a late connection too; the status bar counts down to it', async () => {
    const warnings: IdleWarning[] = [];
    const pending = new PendingWarnings();
    const unsubscribe = lab.connection.onDidChange((event) => {
      pending.follow(event);
      if (event?.event === 'workspace.idleWarning' && event.data.name === 'idler') {
        pending.warn(event.data);
        warnings.push(event.data);
      }
    });
    try {
      const { workspace } = await other.request('workspace.create', { name: 'idler', memory: 256 * MiB });
      const [warning] = await waitFor('the idle warning for idler', () => warnings.length > 0 && warnings, 60_000);
      assert.equal(warning!.owner, 'alice');
      assert.match(warning!.reason, /\S/);
      const now = Date.now();
      const stopAt = pending.stopAt(workspace.id, now);
      assert.equal(stopAt, Date.parse(warning!.stopAt));
      assert.ok(stopAt - now <= 5_000 + 1_000, `stop ${stopAt - now} ms ahead, within the 5 s warning`);
      const view = statusView('idler', stopAt, now);
      assert.ok(view.counting);
      assert.match(view.text, /^\$\(clock\) Berth: stops in 0:0[0-6]$/);

      // A window that connects now missed the event: it rebuilds the same warning from idle.status.
      const late = watchConnection(agent.url, agent.token('alice'), 'Late');
      try {
        await waitFor('the late connection', () => late.connection.status.kind === 'connected');
        const status = await late.connection.request('idle.status', {});
        const missed = missedWarnings(status, (name, owner) => late.connection.find(name, owner)?.id);
        assert.deepEqual(
          missed.map(({ id, stopAt: at }) => ({ id, stopAt: at })),
          [{ id: workspace.id, stopAt: warning!.stopAt }],
        );
      } finally {
        late.connection.dispose();
      }

      // "Keep Running" as the notification sends it: the agent's default, 10 minutes here.
      const asked = Date.now();
      const kept = await lab.connection.request('workspace.keepalive', { name: 'idler' });
      assert.equal(kept.capped, false);
      assertKeptFor(kept.keepUntil, 10 * 60_000, asked);
      await waitFor(
        'the warning to end in the pending set',
        () => pending.stopAt(workspace.id, Date.now()) === undefined,
      );
      assert.equal((await onAgent('idler')).keepUntil, kept.keepUntil);
      const idleStopAt = lab.connection.workspaces.get(workspace.id)?.idleStopAt;
      assert.ok(!idleStopAt || Date.parse(idleStopAt) >= Date.parse(kept.keepUntil), `idleStopAt ${idleStopAt}`);
      // Past the old deadline it still runs.
      await waitFor('the old deadline to pass', () => Date.now() > stopAt + 2_000, 15_000);
      assert.equal((await onAgent('idler')).state, 'running');
    } finally {
      unsubscribe();
    }
  });

  it('caps a keepalive at the agent’s maximum and says so', async () => {
    const asked = Date.now();
    const kept = await lab.connection.request('workspace.keepalive', { name: 'idler', seconds: 8 * 3600 });
    assert.equal(kept.capped, true);
    assertKeptFor(kept.keepUntil, 3600_000, asked);
    assert.equal(kept.workspace.keepUntil, kept.keepUntil);
  });

  it('shows an idle stop with its reason and last activity in the connection’s view', async () => {
    const { workspace } = await other.request('workspace.create', { name: 'left', memory: 256 * MiB });
    const stopped = await waitFor(
      'left to be stopped by the idle monitor',
      () => {
        const ws = lab.connection.workspaces.get(workspace.id);
        return ws?.state === 'stopped' && ws;
      },
      60_000,
    );
    assert.equal(stopped.stopReason, 'idle');
    assert.equal(stopped.lastActivity?.signal, 'started');
    assert.equal(stopped.idleStopAt, undefined);
  });
});
