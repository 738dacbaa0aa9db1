import * as assert from 'node:assert/strict';
import { keepChoices, secondsUntilTomorrowMorning } from '../../../../extension/wording/durations';

/** 2026-03-10 14:00 local time: the tests read local clocks, as the user does. */
const NOW = new Date(2026, 2, 10, 14, 0, 0).getTime();

describe('extension idle: keep-running durations', () => {
  it('counts "until tomorrow" to the next 09:00 local time', () => {
    assert.equal(secondsUntilTomorrowMorning(new Date(NOW)), 19 * 3600);
    assert.equal(secondsUntilTomorrowMorning(new Date(2026, 2, 10, 1, 30)), 31.5 * 3600);
  });

  it('offers hours, until tomorrow and the host default (no seconds: the agent decides)', () => {
    const choices = keepChoices(new Date(NOW));
    assert.deepEqual(
      choices.map((choice) => [choice.label, choice.seconds]),
      [
        ['1 hour', 3600],
        ['4 hours', 4 * 3600],
        ['8 hours', 8 * 3600],
        ['Until tomorrow', 19 * 3600],
        ["The host's default", undefined],
      ],
    );
  });
});
