import * as assert from 'node:assert/strict';
import { TransferMeter, formatSize, percentOf, timeLeft, transferLine } from '../../../../client/transfer/progress';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('client/transfer: a transfer’s bytes, rate and time left', () => {
  it('writes sizes in powers of 1024', () => {
    assert.equal(formatSize(0), '0 B');
    assert.equal(formatSize(512 * MiB), '512 MiB');
    assert.equal(formatSize(1.5 * GiB), '1.5 GiB');
  });

  it('rates the bytes from the first one on, and says the time left of a known total', () => {
    const meter = new TransferMeter(GiB);
    // A workspace stopped for the copy first: the wait before the first byte is not part of the rate.
    meter.add(MiB, 10_000);
    meter.add(255 * MiB, 12_000);
    const snapshot = meter.snapshot(12_000);
    assert.deepEqual(snapshot, { bytes: 256 * MiB, total: GiB, rate: 127.5 * MiB, secondsLeft: 7 });
    assert.equal(transferLine(snapshot), '256 MiB of 1 GiB · 127.5 MiB/s · 7s left');
    assert.equal(transferLine(snapshot, true), '256 MiB of 1 GiB · 127.5 MiB/s');
  });

  it('says no time left without a total (a move: the size is known only at the end)', () => {
    const meter = new TransferMeter(null);
    meter.add(MiB, 0);
    meter.add(3 * MiB, 1000);
    const snapshot = meter.snapshot(1000);
    assert.equal(snapshot.secondsLeft, null);
    assert.equal(transferLine(snapshot), '4 MiB · 3 MiB/s');
  });

  it('has no rate and no time left before bytes have flowed for a while, and never divides by zero', () => {
    const meter = new TransferMeter(GiB);
    assert.deepEqual(meter.snapshot(5000), { bytes: 0, total: GiB, rate: 0, secondsLeft: null });
    meter.add(MiB, 5000);
    assert.deepEqual(meter.snapshot(5000), { bytes: MiB, total: GiB, rate: 0, secondsLeft: null });
  });

  it('says 0s left, never a negative time, once more than the total went', () => {
    const meter = new TransferMeter(MiB);
    meter.add(MiB, 0);
    meter.add(MiB, 1000);
    assert.equal(meter.snapshot(1000).secondsLeft, 0);
  });

  it('writes long times in minutes and hours', () => {
    assert.equal(timeLeft(59), '59s');
    assert.equal(timeLeft(200), '3m 20s');
    assert.equal(timeLeft(7500), '2h 5m');
  });

  it('gives each chunk its share of the total, never past 100 in all', () => {
    assert.equal(percentOf({ bytes: 25, total: 100 }, 25), 25);
    assert.equal(percentOf({ bytes: 150, total: 100 }, 60), 10);
    assert.equal(percentOf({ bytes: 200, total: 100 }, 50), 0);
    assert.equal(percentOf({ bytes: 10, total: null }, 10), 0);
  });
});
