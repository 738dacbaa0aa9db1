import * as assert from 'node:assert/strict';
import { durationProblem, parseDuration } from '../../../cli/duration';
import { waitFlag } from '../../../cli/commands/create';
import { serveConfig } from '../../../cli/commands/serve';
import { idleSpecFlags } from '../../../cli/idle-flags';

describe('cli: durations', () => {
  const cases: [string, number | null][] = [
    ['45s', 45],
    ['30m', 1800],
    ['2h', 7200],
    ['1h30m', 5400],
    ['1d', 86400],
    ['1.5h', 5400],
    ['0', 0],
    ['0s', 0],
    // A bare number could be seconds or minutes: it needs its unit.
    ['90', null],
    ['5', null],
    ['1.5', null],
    ['', null],
    ['2 hours', null],
    ['h', null],
  ];
  for (const [text, seconds] of cases) {
    it(`reads ${JSON.stringify(text)} as ${seconds}`, () => assert.equal(parseDuration(text), seconds));
  }

  it('asks a bare number for its unit, with examples', () => {
    assert.equal(durationProblem('5'), 'a duration needs a unit: 5s, 5m or 5h');
    assert.match(durationProblem('soon'), /90s, 30m, 4h/);
  });

  it('refuses a bare number in every flag that takes a duration', () => {
    const usage = 'berth create NAME';
    for (const flag of ['idle-timeout', 'attached-grace', 'max-lifetime'] as const) {
      assert.throws(
        () => idleSpecFlags({ [flag]: '5' }, usage),
        new RegExp(`--${flag} 5: a duration needs a unit: 5s`),
      );
    }
    assert.deepEqual(idleSpecFlags({ 'idle-timeout': '0', 'max-lifetime': '3d' }, usage), {
      idleTimeout: 0,
      maxLifetime: 259200,
    });
    assert.throws(() => waitFlag('10', usage), /--wait-gpus 10: a duration needs a unit: 10s, 10m or 10h/);
    assert.equal(waitFlag('10m', usage), 600);
    for (const flag of [
      'idle-timeout',
      'attached-grace',
      'max-lifetime',
      'idle-max',
      'idle-warn-before',
      'keepalive-max',
      'keepalive-default',
      'idle-interval',
      'disk-interval',
      'ssh-timeout',
    ]) {
      assert.throws(() => serveConfig([`--${flag}`, '30']), new RegExp(`--${flag} 30: a duration needs a unit`));
    }
    assert.equal(serveConfig(['--ssh-timeout', '2m']).config.sshReadyTimeoutMs, 120_000);
  });
});
