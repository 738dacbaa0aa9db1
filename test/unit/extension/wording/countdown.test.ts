import * as assert from 'node:assert/strict';
import {
  agoInWords,
  clockTime,
  deadlineWords,
  formatRemaining,
  inWords,
  keptMessage,
  statusView,
} from '../../../../extension/wording/countdown';
import { localTime, zoneLabel } from '../../../../extension/wording/describe';

const MIN = 60_000;
/** 2026-03-10 14:00 local time: the tests read local clocks, as the user does. */
const NOW = new Date(2026, 2, 10, 14, 0, 0).getTime();

describe('extension idle: countdown words', () => {
  it('formats the time left as m:ss, h:mm:ss from an hour on, rounding up and never negative', () => {
    assert.equal(formatRemaining(4 * MIN + 32_000), '4:32');
    assert.equal(formatRemaining(5_000), '0:05');
    assert.equal(formatRemaining(4_001), '0:05');
    assert.equal(formatRemaining(3600_000 + 2 * MIN + 3_000), '1:02:03');
    assert.equal(formatRemaining(-1_000), '0:00');
  });

  it('says deadlines as a local clock time, with "tomorrow" or the date when not today', () => {
    assert.equal(clockTime(new Date(2026, 2, 10, 14, 5)), '14:05');
    assert.equal(deadlineWords(new Date(2026, 2, 10, 15, 5).getTime(), NOW), '15:05');
    assert.equal(deadlineWords(new Date(2026, 2, 11, 9, 0).getTime(), NOW), 'tomorrow 09:00');
    assert.equal(deadlineWords(new Date(2026, 2, 13, 9, 30).getTime(), NOW), '13 Mar 09:30');
  });

  it('says durations ahead and behind in minutes and hours', () => {
    assert.equal(inWords(30_000), 'in under a minute');
    assert.equal(inWords(12 * MIN), 'in 12 min');
    assert.equal(inWords(65 * MIN), 'in 1 h 5 min');
    assert.equal(inWords(120 * MIN), 'in 2 h');
    assert.equal(agoInWords(10_000), 'just now');
    assert.equal(agoInWords(5 * MIN + 59_000), '5 min ago');
    assert.equal(agoInWords(3 * 60 * MIN), '3 h ago');
    assert.equal(agoInWords(72 * 60 * MIN), '3 days ago');
  });

  it('shows the countdown in the status bar while a stop is ahead, the quiet name otherwise', () => {
    const stopAt = NOW + 4 * MIN + 32_000;
    assert.deepEqual(statusView('web', stopAt, NOW), {
      text: '$(clock) Berth: stops in 4:32',
      // With its zone, as every time in the extension's tooltips.
      tooltip: `Berth will stop web at 14:04 (${zoneLabel(new Date(stopAt))}) because nobody is present. Click to keep it running.`,
      counting: true,
    });
    for (const pending of [undefined, NOW, NOW - 1]) {
      const view = statusView('web', pending, NOW);
      assert.equal(view.text, '$(vm) Berth: web');
      assert.equal(view.counting, false);
    }
  });

  it('tells until when a workspace is kept running, and that the host capped the request', () => {
    const until = new Date(2026, 2, 10, 18, 0).toISOString();
    assert.equal(
      keptMessage('web', until, false, NOW),
      'Berth: web keeps running until 18:00, even if nobody is present.',
    );
    assert.match(keptMessage('web', until, true, NOW), /until 18:00, .* the longest this host allows/);
  });
});

describe('wording: one time format in the tree, with its zone', () => {
  let zone: string | undefined;
  before(() => {
    zone = process.env.TZ;
  });
  after(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it('writes a time in the local zone with that zone, to the minute', () => {
    process.env.TZ = 'UTC';
    assert.equal(localTime('2024-05-01T10:05:59.000Z'), '2024-05-01 10:05 UTC');
    process.env.TZ = 'Asia/Kolkata';
    assert.equal(localTime('2024-05-01T10:05:00.000Z'), '2024-05-01 15:35 UTC+5:30');
    process.env.TZ = 'America/New_York';
    assert.equal(localTime('2024-05-01T02:00:00.000Z'), '2024-04-30 22:00 UTC-4');
  });
});
