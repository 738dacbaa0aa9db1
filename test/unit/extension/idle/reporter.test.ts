import * as assert from 'node:assert/strict';
import { ActivityReporter, type Clock } from '../../../../extension/idle/reporter';

const MIN = 60_000;

/** A clock whose time moves only when the test says so; due timers run in time order. */
class FakeClock implements Clock {
  private time = 0;
  private timers: { at: number; run: () => void }[] = [];
  now = () => this.time;
  setTimeout = (run: () => void, ms: number) => {
    const timer = { at: this.time + ms, run };
    this.timers.push(timer);
    return timer;
  };
  clearTimeout = (handle: unknown) => {
    this.timers = this.timers.filter((timer) => timer !== handle);
  };
  /** Moves time forward by `ms`, running each timer that falls due (and what they start). */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((timer) => timer !== next);
      this.time = next.at;
      next.run();
    }
    this.time = end;
    await settle();
  }
  pending(): number {
    return this.timers.length;
  }
}

/** Lets the reporter's promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('extension idle: presence reports, at most one a minute', () => {
  let clock: FakeClock;
  let sent: number[];
  let reporter: ActivityReporter;
  beforeEach(() => {
    clock = new FakeClock();
    sent = [];
    reporter = new ActivityReporter(
      () => {
        sent.push(clock.now());
        return Promise.resolve();
      },
      undefined,
      MIN,
      clock,
    );
  });
  afterEach(() => reporter.dispose());

  it('reports the first event at once', async () => {
    reporter.activity();
    await settle();
    assert.deepEqual(sent, [0]);
  });

  it('folds the events of the following minute into one report at its end', async () => {
    reporter.activity();
    await clock.advance(10_000);
    reporter.activity();
    await clock.advance(20_000);
    reporter.activity();
    reporter.activity();
    await clock.advance(29_999);
    assert.deepEqual(sent, [0]);
    await clock.advance(1);
    assert.deepEqual(sent, [0, MIN]);
  });

  it('sends nothing while nothing happens, however long', async () => {
    reporter.activity();
    await clock.advance(60 * MIN);
    assert.deepEqual(sent, [0]);
    assert.equal(clock.pending(), 0, 'no timer left running');
  });

  it('reports a stream of events (one a second for five minutes) once a minute', async () => {
    for (let second = 0; second < 300; second++) {
      reporter.activity();
      await clock.advance(1_000);
    }
    await clock.advance(5 * MIN);
    assert.deepEqual(
      sent,
      [0, 1, 2, 3, 4, 5].map((minute) => minute * MIN),
    );
  });

  it('reports an event after a quiet spell at once, not on the old schedule', async () => {
    reporter.activity();
    await clock.advance(7 * MIN + 13_000);
    reporter.activity();
    await settle();
    assert.deepEqual(sent, [0, 7 * MIN + 13_000]);
  });

  it('drops a failed report: only a new event claims presence again', async () => {
    const errors: unknown[] = [];
    const failing = new ActivityReporter(
      () => {
        sent.push(clock.now());
        return Promise.reject(new Error('host is not connected'));
      },
      (err) => errors.push(err),
      MIN,
      clock,
    );
    failing.activity();
    await clock.advance(10 * MIN);
    assert.deepEqual(sent, [0]);
    assert.equal(errors.length, 1);
    failing.activity();
    await settle();
    assert.deepEqual(sent, [0, 10 * MIN]);
    failing.dispose();
  });

  it('reports events that came while a report was on its way one interval after it', async () => {
    let finish: () => void = () => undefined;
    const slow = new ActivityReporter(
      () => {
        sent.push(clock.now());
        return new Promise<void>((resolve) => (finish = resolve));
      },
      undefined,
      MIN,
      clock,
    );
    slow.activity();
    await clock.advance(5_000);
    slow.activity();
    await clock.advance(2 * MIN);
    assert.deepEqual(sent, [0], 'nothing more while the first report is unanswered');
    finish();
    await settle();
    assert.deepEqual(sent, [0, 2 * MIN + 5_000], 'the interval since the last report is long over');
    slow.dispose();
  });

  it('sends nothing after dispose, even a report already scheduled', async () => {
    reporter.activity();
    reporter.activity();
    reporter.dispose();
    await clock.advance(5 * MIN);
    reporter.activity();
    await settle();
    assert.deepEqual(sent, [0]);
  });
});
