import * as assert from 'node:assert/strict';
import { serveConfig } from '../../../../cli/commands/serve';

describe('cli: berth serve flags', () => {
  it('takes the disk interval as a duration', () => {
    assert.equal(serveConfig(['--disk-interval', '5m']).config.diskIntervalMs, 300_000);
    assert.equal(serveConfig([]).config.diskIntervalMs, 300_000);
  });

  // Node fires a timer whose delay exceeds 2^31-1 ms (24.8 days) at once, and then again and again.
  it('refuses sampling intervals a timer cannot wait for (over a day)', () => {
    assert.throws(
      () => serveConfig(['--disk-interval', '30d']),
      /--disk-interval 30d: expected a duration from 1s to 1d/,
    );
    assert.throws(() => serveConfig(['--idle-interval', '30d']), /--idle-interval 30d: .*1d or less/);
    assert.equal(serveConfig(['--idle-interval', '1d']).config.idle.interval, 86_400);
  });
});
