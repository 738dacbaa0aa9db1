import * as assert from 'node:assert/strict';
import { parseDuration } from '../../../cli/duration';

describe('cli: durations', () => {
  const cases: [string, number | null][] = [
    ['90', 90],
    ['45s', 45],
    ['30m', 1800],
    ['2h', 7200],
    ['1h30m', 5400],
    ['1d', 86400],
    ['1.5h', 5400],
    ['', null],
    ['2 hours', null],
    ['h', null],
  ];
  for (const [text, seconds] of cases) {
    it(`reads ${JSON.stringify(text)} as ${seconds}`, () => assert.equal(parseDuration(text), seconds));
  }
});
