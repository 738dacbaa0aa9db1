import * as assert from 'node:assert/strict';
import { PendingWarnings, missedWarnings } from '../../../../extension/idle/pending';
import type { Workspace } from '../../../../protocol';
import { idOf, workspace } from '../../../support/builders';

const WEB = idOf('web');
const T0 = Date.parse('2026-03-10T14:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const warning = (stopAt: number) => ({
  id: WEB,
  name: 'web',
  owner: 'alice',
  stopAt: iso(stopAt),
  reason: 'nobody present for 25 min and not busy',
});
/** The view of the warned workspace, as a `workspace.changed` event carries it. */
const view = (extra: Partial<Workspace>) => workspace('web', extra);

describe('extension idle: pending warnings behind the notification and the countdown', () => {
  it('keeps a warning pending until its stop time passes', () => {
    const pending = new PendingWarnings();
    assert.equal(pending.warn(warning(T0 + 300_000)), true);
    assert.equal(pending.stopAt(WEB, T0), T0 + 300_000);
    assert.equal(pending.stopAt(WEB, T0 + 300_000), undefined);
    assert.equal(pending.stopAt(WEB, T0), undefined, 'forgotten once past');
  });

  it('does not notify twice for the same deadline, and again when the deadline moved', () => {
    const pending = new PendingWarnings();
    assert.equal(pending.warn(warning(T0 + 300_000)), true);
    assert.equal(pending.warn(warning(T0 + 300_400)), false);
    assert.equal(pending.warn(warning(T0 + 400_000)), true);
    assert.equal(pending.stopAt(WEB, T0), T0 + 400_000);
  });

  it('ends the warning when a later view moves or clears the deadline, or the workspace stops', () => {
    for (const change of [
      { idleStopAt: iso(T0 + 3_600_000) },
      {},
      { state: 'stopped', idleStopAt: iso(T0 + 300_000) },
    ] as Partial<Workspace>[]) {
      const pending = new PendingWarnings();
      pending.warn(warning(T0 + 300_000));
      pending.update(view(change));
      assert.equal(pending.stopAt(WEB, T0), undefined, JSON.stringify(change));
    }
  });

  it('keeps the warning through views that carry the same deadline', () => {
    const pending = new PendingWarnings();
    pending.warn(warning(T0 + 300_000));
    pending.update(view({ idleStopAt: iso(T0 + 300_000) }));
    assert.equal(pending.stopAt(WEB, T0), T0 + 300_000);
    pending.clear(WEB);
    assert.equal(pending.stopAt(WEB, T0), undefined);
  });
});

describe('extension idle: warnings a late window missed', () => {
  const decision = (stopAt: number | null) => ({
    action: 'keep' as const,
    stopAt: stopAt === null ? null : iso(stopAt),
    stopReason: stopAt === null ? null : ('idle' as const),
    reason: 'nobody present for 40 s and not busy',
  });
  const status = (workspaces: { name: string; state?: Workspace['state']; stopAt: number | null }[]) => ({
    now: iso(T0),
    settings: {
      idleTimeout: 40,
      attachedGrace: 3600,
      maxLifetime: 0,
      warnBefore: 30,
      keepaliveMax: 3600,
      interval: 1,
      cpuThreshold: 0.1,
    },
    workspaces: workspaces.map(({ name, state, stopAt }) => ({
      name,
      owner: 'alice',
      state: state ?? 'running',
      signals: null,
      decision: decision(stopAt),
    })),
  });
  const ids: Record<string, string> = { soon: 'id-soon', later: 'id-later', never: 'id-never', off: 'id-off' };

  it('rebuilds a warning for each running workspace whose stop is within the agent’s warning time', () => {
    const missed = missedWarnings(
      status([
        { name: 'soon', stopAt: T0 + 20_000 },
        { name: 'later', stopAt: T0 + 31_000 },
        { name: 'never', stopAt: null },
        { name: 'off', state: 'stopped', stopAt: T0 + 1_000 },
        { name: 'unknown', stopAt: T0 + 1_000 },
      ]),
      (name) => ids[name],
    );
    assert.deepEqual(missed, [
      {
        id: 'id-soon',
        name: 'soon',
        owner: 'alice',
        stopAt: iso(T0 + 20_000),
        reason: 'nobody present for 40 s and not busy',
      },
    ]);
  });
});
