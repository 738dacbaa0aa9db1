import * as assert from 'node:assert/strict';
import { decide, formatDuration, type IdleClocks, type IdleSettings } from '../../../../agent/idle/policy';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const T0 = Date.parse('2026-01-05T08:00:00Z');

const settings: IdleSettings = { idleTimeout: 30 * MIN, attachedGrace: 4 * H, maxLifetime: 0, warnBefore: 5 * MIN };

/** A workspace started at T0, nobody there since, not busy, looked at `at` ms after T0. */
function clocks(at: number, over: Partial<IdleClocks> = {}): IdleClocks {
  return {
    now: T0 + at,
    startedAt: T0,
    lastWorkAt: T0,
    lastAttachedAt: null,
    attached: 0,
    attachedSince: null,
    lastPresentAt: null,
    lastTypingAt: null,
    busy: false,
    keepUntil: null,
    warning: null,
    ...over,
  };
}

describe('idle policy: the idle timeout', () => {
  it('keeps a workspace before the warning window, with the stop time it would have', () => {
    const d = decide(settings, clocks(10 * MIN));
    assert.equal(d.action, 'keep');
    assert.equal(d.stopAt, T0 + 30 * MIN);
    assert.equal(d.stopReason, 'idle');
    assert.equal(d.warning, null);
  });

  it('warns once the stop is warnBefore away, announcing the deadline', () => {
    const d = decide(settings, clocks(25 * MIN));
    assert.equal(d.action, 'warn');
    assert.equal(d.stopAt, T0 + 30 * MIN);
    assert.deepEqual(d.warning, { at: T0 + 25 * MIN, stopAt: T0 + 30 * MIN });
    assert.match(d.reason, /nobody present and not busy for 25 min/);
  });

  it('keeps waiting after the warning until the announced time, then stops for idleness', () => {
    const warning = { at: T0 + 25 * MIN, stopAt: T0 + 30 * MIN };
    assert.equal(decide(settings, clocks(29 * MIN, { warning })).action, 'keep');
    const d = decide(settings, clocks(30 * MIN, { warning }));
    assert.equal(d.action, 'stop');
    assert.equal(d.stopReason, 'idle');
  });

  it('never stops without a warning first, even when the deadline passed long ago (late tick, agent down)', () => {
    const d = decide(settings, clocks(3 * H));
    assert.equal(d.action, 'warn');
    assert.equal(d.stopAt, T0 + 3 * H + 5 * MIN, 'a full warnBefore after the warning');
  });

  it('stops no earlier than warnBefore after a late warning', () => {
    const warning = { at: T0 + 29 * MIN, stopAt: T0 + 34 * MIN };
    assert.equal(decide(settings, clocks(31 * MIN, { warning })).action, 'keep');
    assert.equal(decide(settings, clocks(34 * MIN, { warning })).action, 'stop');
  });

  it('restarts the clock from presence: the warning is withdrawn', () => {
    const warning = { at: T0 + 25 * MIN, stopAt: T0 + 30 * MIN };
    const d = decide(settings, clocks(27 * MIN, { lastWorkAt: T0 + 26 * MIN, warning }));
    assert.equal(d.action, 'keep');
    assert.equal(d.stopAt, T0 + 56 * MIN);
    assert.equal(d.warning, null);
  });

  it('warns again when the deadline moves later but stays inside the window, keeping the first warning time', () => {
    const short = { ...settings, idleTimeout: 2 * MIN };
    const warning = { at: T0 + 0, stopAt: T0 + 5 * MIN };
    const d = decide(short, clocks(4 * MIN, { lastWorkAt: T0 + 4 * MIN, warning }));
    assert.equal(d.action, 'warn');
    assert.equal(d.stopAt, T0 + 6 * MIN);
    assert.deepEqual(d.warning, { at: T0, stopAt: T0 + 6 * MIN });
  });

  it('never stops before the time a warning announced, even if the deadline moved earlier', () => {
    const warning = { at: T0 + 25 * MIN, stopAt: T0 + 40 * MIN };
    const d = decide(settings, clocks(35 * MIN, { warning }));
    assert.equal(d.action, 'keep');
    assert.equal(d.stopAt, T0 + 40 * MIN);
  });

  it('never stops with idleTimeout 0', () => {
    const d = decide({ ...settings, idleTimeout: 0 }, clocks(100 * H));
    assert.equal(d.action, 'keep');
    assert.equal(d.stopAt, null);
  });
});

describe('idle policy: busy', () => {
  it('never warns or stops a busy workspace, however long nobody was present', () => {
    const d = decide(settings, clocks(20 * H, { busy: true, lastWorkAt: T0 + 20 * H }));
    assert.equal(d.action, 'keep');
    assert.equal(d.stopAt, null);
  });

  it('withdraws a warning when the workspace becomes busy', () => {
    const warning = { at: T0 + 25 * MIN, stopAt: T0 + 30 * MIN };
    const d = decide(settings, clocks(29 * MIN, { busy: true, warning }));
    assert.equal(d.action, 'keep');
    assert.equal(d.warning, null);
  });

  it('counts the idle time from the end of the busy stretch', () => {
    const d = decide(settings, clocks(3 * H, { lastWorkAt: T0 + 2 * H + 50 * MIN }));
    assert.equal(d.action, 'keep');
    assert.equal(d.stopAt, T0 + 3 * H + 20 * MIN);
  });

  it('neither warns nor stops while busy is not yet measured (first sample after a restart)', () => {
    const d = decide(settings, clocks(3 * H, { busy: null }));
    assert.equal(d.action, 'keep');
    assert.ok(d.stopAt !== null && d.stopAt >= T0 + 3 * H + 5 * MIN);
  });
});

describe('idle policy: attached connections', () => {
  it('keeps a workspace with an open connection past the idle timeout', () => {
    const d = decide(settings, clocks(2 * H, { attached: 1, lastAttachedAt: T0 + 2 * H }));
    assert.equal(d.action, 'keep');
    assert.equal(d.stopAt, T0 + 4 * H);
    assert.equal(d.stopReason, 'attached-grace');
  });

  it('warns and stops an attached but absent workspace after the attached grace', () => {
    const now = 4 * H - 5 * MIN;
    const d = decide(settings, clocks(now, { attached: 1, lastAttachedAt: T0 + now }));
    assert.equal(d.action, 'warn');
    assert.match(d.reason, /an SSH connection open but nobody present, typing or busy for 3 h 55 min/);
    const stop = decide(settings, clocks(4 * H, { attached: 2, lastAttachedAt: T0 + 4 * H, warning: d.warning }));
    assert.equal(stop.action, 'stop');
    assert.equal(stop.stopReason, 'attached-grace');
  });

  it('runs the idle timeout from the moment the connection went', () => {
    const d = decide(settings, clocks(100 * MIN, { attached: 0, lastAttachedAt: T0 + 90 * MIN }));
    assert.equal(d.stopAt, T0 + 2 * H);
    assert.equal(d.stopReason, 'idle');
  });

  it('does not extend beyond the grace when the connection goes late', () => {
    const d = decide(settings, clocks(3 * H + 50 * MIN, { attached: 0, lastAttachedAt: T0 + 3 * H + 49 * MIN }));
    assert.equal(d.stopAt, T0 + 4 * H);
  });

  it('gives nothing extra when the grace is shorter than the idle timeout', () => {
    const d = decide({ ...settings, attachedGrace: 10 * MIN }, clocks(MIN, { attached: 1, lastAttachedAt: T0 + MIN }));
    assert.equal(d.stopAt, T0 + 30 * MIN);
  });

  it('gives no grace to connections whose client reports presence: its silence means nobody is there', () => {
    const now = 40 * MIN;
    const d = decide(
      settings,
      clocks(now, {
        attached: 1,
        attachedSince: T0,
        lastAttachedAt: T0 + now,
        lastPresentAt: T0 + 5 * MIN,
        lastWorkAt: T0 + 5 * MIN,
      }),
    );
    assert.equal(d.action, 'warn');
    assert.equal(d.stopReason, 'idle');
    assert.match(d.reason, /nobody present or typing and not busy/);
  });

  it('gives the grace again to connections opened after the last presence report (a plain ssh later on)', () => {
    const now = 2 * H;
    const d = decide(
      settings,
      clocks(now, {
        attached: 1,
        attachedSince: T0 + H,
        lastAttachedAt: T0 + now,
        lastPresentAt: T0 + 5 * MIN,
        lastWorkAt: T0 + 5 * MIN,
      }),
    );
    assert.equal(d.action, 'keep');
    assert.equal(d.stopAt, T0 + 5 * MIN + 4 * H);
    assert.equal(d.stopReason, 'attached-grace');
  });

  it('presence restarts the grace too', () => {
    const d = decide(settings, clocks(5 * H, { attached: 1, lastAttachedAt: T0 + 5 * H, lastWorkAt: T0 + 3 * H }));
    assert.equal(d.stopAt, T0 + 7 * H);
  });
});

describe('idle policy: keep running and max lifetime', () => {
  it('keeps running until keepUntil, then warns for it', () => {
    const keepUntil = T0 + 3 * H;
    assert.equal(decide(settings, clocks(2 * H, { keepUntil })).action, 'keep');
    const d = decide(settings, clocks(3 * H - 5 * MIN, { keepUntil }));
    assert.equal(d.action, 'warn');
    assert.equal(d.stopAt, keepUntil);
    assert.match(d.reason, /kept running until/);
  });

  it('a keepUntil earlier than the idle deadline changes nothing', () => {
    const d = decide(settings, clocks(MIN, { keepUntil: T0 + 10 * MIN }));
    assert.equal(d.stopAt, T0 + 30 * MIN);
  });

  it('stops at the max lifetime even while busy and present, after a warning', () => {
    const life = { ...settings, maxLifetime: 8 * H };
    const busy = { busy: true, lastWorkAt: T0 + 8 * H - 5 * MIN };
    const d = decide(life, clocks(8 * H - 5 * MIN, busy));
    assert.equal(d.action, 'warn');
    assert.equal(d.stopReason, 'max-lifetime');
    const stop = decide(life, clocks(8 * H, { ...busy, warning: d.warning }));
    assert.equal(stop.action, 'stop');
    assert.equal(stop.stopReason, 'max-lifetime');
  });

  it('takes the earlier of the idle deadline and the lifetime cap', () => {
    const d = decide({ ...settings, maxLifetime: 20 * MIN }, clocks(MIN));
    assert.equal(d.stopAt, T0 + 20 * MIN);
    assert.equal(d.stopReason, 'max-lifetime');
  });
});

describe('idle policy: the warning always precedes the stop (exhaustive walk)', () => {
  // Every combination of signals over a sampled day: a stop is only ever decided after a warning
  // that came at least warnBefore earlier, and never while busy.
  const steps = [0, 1, 2, 3, 5, 8, 13, 21, 34, 55].map((m) => m * MIN);
  for (const attached of [0, 1]) {
    for (const busyEvery of [0, 3]) {
      for (const presentEvery of [0, 4]) {
        it(`attached=${attached} busyEvery=${busyEvery} presentEvery=${presentEvery}`, () => {
          const c = clocks(0, { attached, lastAttachedAt: attached ? T0 : null });
          let i = 0;
          for (let t = 0; t < 24 * H; t += steps[i++ % steps.length] ?? MIN) {
            c.now = T0 + t;
            c.busy = busyEvery > 0 && i % busyEvery === 0;
            if (c.busy || (presentEvery > 0 && i % presentEvery === 0)) c.lastWorkAt = c.now;
            if (attached) c.lastAttachedAt = c.now;
            const d = decide(settings, c);
            if (d.action === 'stop') {
              assert.ok(c.warning, 'a warning was sent before');
              assert.ok(c.now - c.warning.at >= settings.warnBefore, 'at least warnBefore before');
              assert.ok(!c.busy, 'never while busy');
              assert.ok(c.now - c.lastWorkAt >= settings.idleTimeout, 'never while recently present');
              return;
            }
            c.warning = d.warning;
          }
        });
      }
    }
  }
});

describe('idle policy: durations in words', () => {
  const cases: [number, string][] = [
    [45 * S, '45 s'],
    [25 * MIN, '25 min'],
    [4 * H, '4 h'],
    [90 * MIN, '1 h 30 min'],
  ];
  for (const [ms, text] of cases) it(`${ms} ms is "${text}"`, () => assert.equal(formatDuration(ms), text));
});
