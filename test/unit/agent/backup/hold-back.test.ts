import * as assert from 'node:assert/strict';
import { HoldBack } from '../../../../agent/backup/hold-back';

/** The bytes 0, 1, 2… (mod 256), `length` of them. */
const counting = (length: number, from = 0) => Buffer.from(Array.from({ length }, (_, i) => (from + i) % 256));

describe('agent: HoldBack (the last bytes of a stream held back, the rest passed on uncopied)', () => {
  it('passes on the very chunks that came, each once the next has come', () => {
    const hold = new HoldBack(1024);
    const chunks = [counting(5000), counting(3000, 5000), counting(4000, 8000)];
    const passed = chunks.flatMap((chunk) => hold.push(chunk));
    assert.equal(passed.length, 2);
    assert.ok(passed[0] === chunks[0] && passed[1] === chunks[1], 'a chunk was copied');
    const { rest, last } = hold.end();
    assert.deepEqual(Buffer.concat([...passed, rest, last]), counting(12_000));
    assert.deepEqual(last, counting(1024, 12_000 - 1024));
  });

  it('holds back the last bytes across chunks smaller than what it keeps', () => {
    const hold = new HoldBack(1024);
    const whole = counting(10_000);
    const passed: Buffer[] = [];
    for (let at = 0; at < whole.length; at += 300) passed.push(...hold.push(whole.subarray(at, at + 300)));
    const kept = whole.length - Buffer.concat(passed).length;
    assert.ok(kept >= 1024 && kept < 1024 + 300, `holds ${kept} bytes`);
    const { rest, last } = hold.end();
    assert.deepEqual(Buffer.concat([...passed, rest]), whole.subarray(0, whole.length - 1024));
    assert.deepEqual(last, whole.subarray(whole.length - 1024));
  });

  it('gives all there was as the last bytes when fewer came than it keeps', () => {
    const hold = new HoldBack(1024);
    assert.deepEqual(hold.push(counting(100)), []);
    assert.deepEqual(hold.push(counting(100, 100)), []);
    const { rest, last } = hold.end();
    assert.equal(rest.length, 0);
    assert.deepEqual(last, counting(200));
  });
});
