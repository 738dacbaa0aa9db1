import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { AgentClient, ClientEvent } from '../../client/agent-client';
import { BerthError, type StopReason, type Workspace } from '../../protocol';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { sshKeyPair, sshRun, strictSshArgs } from '../support/ssh';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';
import { refusal } from '../support/refusal';

/** Seconds-long idle settings: 6 s idle timeout, warning 3 s ahead, 12 s attached grace, 1 s samples. */
const IDLE = 6;
const WARN = 3;
const GRACE = 12;
const KEEPALIVE_MAX = 20;
const IDLE_ARGS = [
  '--idle-timeout',
  `${IDLE}s`,
  '--idle-warn-before',
  `${WARN}s`,
  '--attached-grace',
  `${GRACE}s`,
  '--keepalive-max',
  `${KEEPALIVE_MAX}s`,
  '--keepalive-default',
  '10s',
  '--idle-interval',
  '1s',
];

/**
 * Every warning and state change of each workspace, stamped when the test saw it; a stop also with
 * the agent's own time of the change (`since`).
 */
class Timeline {
  readonly warnings = new Map<string, { seen: number; stopAt: number }[]>();
  readonly stops = new Map<string, { seen: number; reason: StopReason | undefined }>();
  readonly stopping = new Map<string, { seen: number; since: number }>();

  constructor(client: AgentClient) {
    client.onEvent((event: ClientEvent) => {
      const seen = Date.now();
      if (event.event === 'workspace.idleWarning') {
        const list = this.warnings.get(event.data.name) ?? [];
        list.push({ seen, stopAt: Date.parse(event.data.stopAt) });
        this.warnings.set(event.data.name, list);
      }
      if (event.event === 'workspace.changed') {
        const ws = event.data.workspace;
        if (ws.state === 'stopping' && !this.stopping.has(ws.name)) {
          this.stopping.set(ws.name, { seen, since: Date.parse(ws.since) });
        }
        if (ws.state === 'stopped') this.stops.set(ws.name, { seen, reason: ws.stopReason });
      }
    });
  }
}

/** When the agent logged its first idle warning for alice's `name` (each line of its log starts with its ISO time). */
function warnedAt(log: string, name: string): number | undefined {
  const line = log.split('\n').find((text) => text.includes(` idle: warning alice/${name}: `));
  return line ? Date.parse(line.slice(0, line.indexOf(' '))) : undefined;
}

/** An interactive `ssh -tt` session left open (a terminal nobody types in). */
function openSession(workspace: Workspace, privateKey: string): ChildProcess {
  return spawn('ssh', ['-tt', ...strictSshArgs(workspace, privateKey), 'sleep 600'], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
}

describe('agent: idle shutdown on real containers and SSH sessions', function () {
  this.timeout(120_000);
  const sessions: ChildProcess[] = [];
  // Registered before the agent's hooks, so the sessions end before the agent does.
  after(() => {
    for (const session of sessions) session.kill();
  });
  const agent = useAgent({ args: IDLE_ARGS });
  let client: AgentClient;
  let timeline: Timeline;
  let token: string;
  const key = sshKeyPair();

  const get = async (name: string) => (await client.request('workspace.get', { name })).workspace;
  const create = async (name: string, spec: { idleTimeout?: number; maxLifetime?: number } = {}) =>
    (await client.request('workspace.create', { name, ...spec })).workspace;
  const stoppedFor = (name: string, timeoutMs = 60_000) =>
    waitFor(`${name} to be stopped`, () => timeline.stops.get(name), timeoutMs);

  before(async () => {
    token = agent.token('alice');
    client = await agent.connect(token);
    timeline = new Timeline(client);
    await client.request('user.addKey', { key: key.publicKey });
  });

  it('with nobody connected: warns, then stops for idleness, and records why', async () => {
    const created = await create('nobody');
    assert.equal(created.lastActivity?.signal, 'started');
    assert.equal(created.idleStopAt, new Date(Date.parse(created.since) + IDLE * 1000).toISOString(), 'known at start');
    const stop = await stoppedFor('nobody');
    assert.equal(stop.reason, 'idle');
    const warnings = timeline.warnings.get('nobody') ?? [];
    assert.ok(warnings.length >= 1, 'a warning came first');
    const workspace = await get('nobody');
    assert.equal(workspace.stopReason, 'idle');
    assert.equal(workspace.lastActivity?.signal, 'started');
    assert.equal(workspace.idleStopAt, undefined);
    const ls = berth(['ls', '-o', 'wide'], cliEnv(agent.url, token));
    assert.match(ls.stdout, /nobody .*started \d{4}-\d\d-\d\d \d\d:\d\d \S+ .*stopped: idle/);
  });

  it('changes the idle timeout of a running workspace without restarting it or its clocks', async () => {
    const created = await create('retimed', { idleTimeout: 0 });
    const updated = (await client.request('workspace.update', { name: 'retimed', changes: { idleTimeout: 3600 } }))
      .workspace;
    assert.equal(updated.state, 'running');
    assert.equal(updated.since, created.since, 'the run goes on');
    assert.equal(updated.spec.idleTimeout, 3600);
    assert.deepEqual(updated.lastActivity, created.lastActivity);
  });

  it("refuses another user's presence report and keepalive, and shows them none of its idle status", async () => {
    const before = await get('retimed');
    const mallory = await agent.connect(agent.token('mallory'));
    try {
      const ref = { name: 'retimed', owner: 'alice' };
      const report = await refusal(mallory.request('workspace.activity', ref));
      assert.equal(report.code, 'forbidden');
      const kept = await refusal(mallory.request('workspace.keepalive', { ...ref, seconds: 10 }));
      assert.equal(kept.code, 'forbidden');
      const own = await refusal(mallory.request('workspace.keepalive', { name: 'retimed' }));
      assert.equal(own.code, 'not_found', 'without an owner the name is looked up among their own');
      const status = await mallory.request('idle.status', {});
      assert.deepEqual(status.workspaces, []);
    } finally {
      mallory.close();
    }
    const after = await get('retimed');
    assert.deepEqual(after.lastActivity, before.lastActivity);
    assert.equal(after.keepUntil, undefined);
  });

  it('with an open interactive SSH session and nobody present: stops after the attached grace', async () => {
    const workspace = await create('attached');
    const startedAt = Date.parse(workspace.since);
    sessions.push(openSession(workspace, key.privateKey));
    await waitFor(
      'the session to count as attached',
      async () => (await get('attached')).lastActivity?.signal === 'attached',
    );
    const stop = await stoppedFor('attached');
    assert.equal(stop.reason, 'attached-grace');
    assert.ok(
      stop.seen - startedAt >= GRACE * 1000,
      `stopped ${stop.seen - startedAt} ms after start, grace ${GRACE} s`,
    );
  });

  it('gives no attached grace to a window whose client reports presence: its silence counts', async () => {
    const workspace = await create('window');
    sessions.push(openSession(workspace, key.privateKey));
    await waitFor(
      'the session to count as attached',
      async () => (await get('window')).lastActivity?.signal === 'attached',
    );
    const reported = Date.now();
    await client.request('workspace.activity', { name: 'window' });
    await waitFor('a pass after the report that sees the session', async () => {
      const { workspaces } = await client.request('idle.status', {});
      const signals = workspaces.find((ws) => ws.name === 'window')?.signals;
      return signals && Date.parse(signals.sampledAt) > reported + 1000 && signals.attached > 0;
    });
    assert.equal((await get('window')).lastActivity?.signal, 'present', 'the connection does not hide the report');
    const stop = await stoppedFor('window');
    assert.equal(stop.reason, 'idle');
    // An idle stop, not one at the end of the attached grace: the open session bought it nothing.
    assert.ok(stop.seen - reported >= IDLE * 1000, 'not before the idle timeout');
  });

  it('never stops a workspace running `yes > /dev/null`, and stops it once the work ends', async () => {
    const workspace = await create('busy');
    const run = sshRun(workspace, key.privateKey, 'nohup sh -c "yes > /dev/null" >/dev/null 2>&1 &');
    assert.equal(run.code, 0, run.stderr);
    await waitFor('the workspace to be busy', async () => (await get('busy')).lastActivity?.signal === 'busy');
    const busySince = Date.now();
    await waitFor(
      `${2 * (IDLE + WARN)} s of busy time`,
      async () => {
        assert.equal((await get('busy')).state, 'running');
        return Date.now() - busySince > 2 * (IDLE + WARN) * 1000;
      },
      60_000,
    );
    assert.equal(timeline.warnings.get('busy'), undefined, 'no warning while busy');
    const status = await client.request('idle.status', {});
    const row = status.workspaces.find((ws) => ws.name === 'busy');
    assert.equal(row?.signals?.busy, true);
    assert.ok((row?.signals?.cpu ?? 0) > status.settings.cpuThreshold, `cpu ${row?.signals?.cpu}`);
    assert.equal(row?.decision?.stopAt, null);
    const dryRun = berth(['idle', '--dry-run', '--json'], cliEnv(agent.url, token));
    const fresh = (
      JSON.parse(dryRun.stdout) as { workspaces: { name: string; signals: { busy: boolean } | null }[] }
    ).workspaces.find((ws) => ws.name === 'busy');
    assert.equal(fresh?.signals?.busy, true, 'a dry run samples afresh and sees the work');
    assert.equal(sshRun(workspace, key.privateKey, 'pkill -x yes').code, 0);
    const stop = await stoppedFor('busy');
    assert.equal(stop.reason, 'idle');
  });

  it('never stops a workspace whose user reports presence (berth ssh reports it too)', async () => {
    await create('present');
    const entered = berth(['ssh', 'present', '--identity', key.privateKey, '--', 'true'], cliEnv(agent.url, token));
    assert.equal(entered.code, 0, entered.stderr);
    assert.equal((await get('present')).lastActivity?.signal, 'present');
    const since = Date.now();
    await waitFor(
      `${2 * (IDLE + WARN)} s of presence reports`,
      async () => {
        const { lastActivity } = await client.request('workspace.activity', { name: 'present' });
        assert.equal(lastActivity.signal, 'present');
        assert.equal((await get('present')).state, 'running');
        return Date.now() - since > 2 * (IDLE + WARN) * 1000;
      },
      60_000,
      1_000, // a report a second, like a busy typist
    );
    assert.equal(timeline.warnings.get('present'), undefined, 'no warning while present');
    const idle = berth(['idle', '--json'], cliEnv(agent.url, token));
    const row = (JSON.parse(idle.stdout) as { workspaces: { name: string; presentAt?: string }[] }).workspaces.find(
      (ws) => ws.name === 'present',
    );
    assert.ok(row?.presentAt, 'berth idle shows the last present report');
    await client.request('workspace.stop', { name: 'present' });
    assert.equal((await get('present')).stopReason, 'user');
  });

  it('keeps running until the keepalive, capped at the maximum', async () => {
    await create('kept');
    const capped = berth(['keepalive', 'kept', '1h'], cliEnv(agent.url, token));
    assert.equal(capped.code, 0, capped.stderr);
    assert.match(capped.stdout, /capped/);
    const asked = Date.now();
    const {
      keepUntil,
      capped: wasCapped,
      workspace,
    } = await client.request('workspace.keepalive', {
      name: 'kept',
      seconds: 3600,
    });
    assert.equal(wasCapped, true);
    const until = Date.parse(keepUntil);
    const answered = Date.now();
    assert.ok(
      until >= asked + KEEPALIVE_MAX * 1000 && until <= answered + KEEPALIVE_MAX * 1000,
      `keepUntil ${keepUntil}: ${KEEPALIVE_MAX} s after the request`,
    );
    assert.equal(workspace.keepUntil, keepUntil);
    assert.equal(workspace.lastActivity?.signal, 'keepalive');
    const stop = await stoppedFor('kept');
    assert.ok(stop.seen >= until, `stopped ${until - stop.seen} ms before the keepalive ended`);
    assert.equal(stop.reason, 'idle');
  });

  it('cuts a keepalive at the end of the max lifetime, and says it was cut', async () => {
    const created = await create('mortal', { maxLifetime: 10 });
    const lifeEnd = Date.parse(created.since) + 10_000;
    // 15 s is within the keepalive maximum (KEEPALIVE_MAX, 20 s): only the lifetime cuts it.
    const { keepUntil, capped } = await client.request('workspace.keepalive', { name: 'mortal', seconds: 15 });
    assert.ok(Math.abs(Date.parse(keepUntil) - lifeEnd) < 2000, `keepUntil ${keepUntil}, life ends ${lifeEnd}`);
    assert.equal(capped, true);
    await client.request('workspace.stop', { name: 'mortal' });
  });

  it("takes a workspace's own idle timeout from berth create: 0 means never", async () => {
    const created = berth(['create', 'forever', '--idle-timeout', '0', '--json'], cliEnv(agent.url, token));
    assert.equal(created.code, 0, created.stderr);
    assert.equal((JSON.parse(created.stdout) as Workspace).spec.idleTimeout, 0);
    const row = await waitFor('a decision for the workspace', async () => {
      const status = await client.request('idle.status', {});
      return status.workspaces.find((ws) => ws.name === 'forever' && ws.decision?.reason === 'idle stop disabled');
    });
    assert.equal(row.decision?.stopAt, null);
    assert.equal((await get('forever')).idleStopAt, undefined);
    await client.request('workspace.delete', { name: 'forever', deleteData: true });
  });

  it('always sends the warning at least warnBefore ahead of every idle stop', () => {
    assert.ok(timeline.stops.size >= 4);
    for (const [name, stop] of timeline.stops) {
      if (stop.reason === 'user') continue;
      const [first] = timeline.warnings.get(name) ?? [];
      const stopping = timeline.stopping.get(name);
      assert.ok(first && stopping, `${name}: a warning and a stop`);
      assert.ok(first.seen <= stopping.seen, `${name}: the warning reached the client before the stop began`);
      assert.ok(stopping.since >= first.stopAt, `${name}: no stop before the time the warning named`);
      // The agent's own times, not when this test heard of them: its log line of the warning is written
      // in the same monitor pass as the decision, a moment after it (a second of slack covers that).
      const warned = warnedAt(agent.log, name);
      assert.ok(warned, `${name}: the agent logged its warning`);
      assert.ok(stopping.since - warned >= (WARN - 1) * 1000, `${name}: warned ${stopping.since - warned} ms ahead`);
    }
  });
});

describe('agent: idle clocks across an agent restart', function () {
  this.timeout(120_000);
  const TIMEOUT = 20;
  const agent = useAgent({
    args: ['--idle-timeout', `${TIMEOUT}s`, '--idle-warn-before', '4s', '--idle-interval', '1s'],
  });
  let client: AgentClient;

  before(async () => {
    client = await agent.connect(agent.token('bob'));
  });

  it('neither grants a fresh timeout nor stops at once what was active just before', async () => {
    await client.request('workspace.create', { name: 'active' });
    const idle = (await client.request('workspace.create', { name: 'idle' })).workspace;
    const idleSince = Date.parse(idle.since);
    let lastPresent = 0;
    await waitFor(
      'the idle workspace to be idle for half its timeout',
      async () => {
        lastPresent = Date.now();
        await client.request('workspace.activity', { name: 'active' });
        return Date.now() - idleSince > (TIMEOUT / 2) * 1000;
      },
      30_000,
      500, // a presence report every half second keeps "active" active
    );
    const restarting = Date.now();
    client.close();
    await agent.stop();
    await agent.restart();
    client = await agent.connect(agent.token('bob'));
    /** When the agent began stopping each workspace, by its own clock (the `since` of `stopping`). */
    const stoppingSince = new Map<string, number>();
    client.onEvent((event) => {
      const ws = event.event === 'workspace.changed' ? event.data.workspace : null;
      if (ws?.state === 'stopping' && !stoppingSince.has(ws.name)) stoppingSince.set(ws.name, Date.parse(ws.since));
    });
    const get = async (name: string) => (await client.request('workspace.get', { name })).workspace;
    /** When the agent stopped `ws`: as it began to, or (if that came before this client listened) as it was done. */
    const stoppedAt = (ws: Workspace) => stoppingSince.get(ws.name) ?? Date.parse(ws.since);
    // The published deadline trails the real one by less than a sixth of the timeout (the monitor
    // publishes later deadlines in steps); it must not be the old, pre-presence one.
    await waitFor("the monitor to publish the active workspace's deadline from its last presence", async () => {
      const { idleStopAt } = await get('active');
      return idleStopAt && Date.parse(idleStopAt) >= lastPresent + (TIMEOUT * 1000 * 5) / 6 - 1000;
    });
    const idleStopped = await waitFor('the idle workspace to stop', async () => {
      const ws = await get('idle');
      return ws.state === 'stopped' && ws;
    });
    assert.equal(idleStopped.stopReason, 'idle');
    // A timeout begun afresh by the restart would end TIMEOUT after it at the soonest.
    const idleAfter = stoppedAt(idleStopped) - restarting;
    assert.ok(idleAfter < TIMEOUT * 1000, `stopped ${idleAfter} ms after the restart began: the clock was reset`);
    const activeStopped = await waitFor(
      'the active workspace to stop in its turn',
      async () => {
        const ws = await get('active');
        return ws.state === 'stopped' && ws;
      },
      60_000,
    );
    const activeAfter = stoppedAt(activeStopped) - lastPresent;
    assert.ok(
      activeAfter >= TIMEOUT * 1000,
      `stopped ${activeAfter} ms after its last presence: not at once, nor early`,
    );
  });
});

describe('agent: the admin cap on idleness (--idle-max)', function () {
  this.timeout(120_000);
  const fast = ['--idle-interval', '1s', '--idle-warn-before', '2s'];
  const agent = useAgent({ args: fast });

  it('holds a workspace saved as never idle-stopped to the cap after a restart, and refuses such requests', async () => {
    const token = agent.token('bob');
    let client = await agent.connect(token);
    await client.request('workspace.create', { name: 'forever', idleTimeout: 0 });
    client.close();
    await agent.stop();
    await agent.restart([...fast, '--idle-max', '4s']);
    client = await agent.connect(token);
    await assert.rejects(client.request('workspace.create', { name: 'again', idleTimeout: 0 }), (err: unknown) => {
      assert.ok(err instanceof BerthError);
      assert.equal(err.code, 'invalid_params');
      assert.match(err.message, /^idleTimeout 0 \(never\) is not allowed on this host; ask for at most 4 s$/);
      return true;
    });
    const stopped = await waitFor('the saved workspace to be stopped for idleness', async () => {
      const { workspace } = await client.request('workspace.get', { name: 'forever' });
      return workspace.state === 'stopped' ? workspace : null;
    });
    assert.equal(stopped.stopReason, 'idle');
    const { settings } = await client.request('idle.status', {});
    assert.equal(settings.idleMax, 4);
  });
});
