import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { BerthError } from '../../../../protocol';
import { DEFAULT_PULL_LIMITS, followPull } from '../../../../agent/runtime/image-pull';

/** Docker's pull stream as `chunks` of its bytes (a line may be split across them), read by followPull. */
async function pull(chunks: string[], maxBytes = DEFAULT_PULL_LIMITS.maxBytes) {
  const stream = new PassThrough();
  const lines: string[] = [];
  const stops: BerthError[] = [];
  const done = followPull(
    stream,
    'registry.lab/x:1',
    (line) => lines.push(line),
    { ...DEFAULT_PULL_LIMITS, maxBytes },
    (why) => stops.push(why),
  );
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  const outcome = await done.then(
    () => null,
    (err: unknown) => err,
  );
  return { lines, stops, outcome };
}

const event = (value: object) => `${JSON.stringify(value)}\n`;

describe('agent: reading a pull stream', () => {
  it('reports each step, and sizes in the units that fit them (a small layer is not "0.0 MB")', async () => {
    const { lines, outcome } = await pull([
      event({ status: 'Pulling from x', id: '1' }),
      event({ status: 'Downloading', id: 'a1', progressDetail: { current: 300, total: 2048 } }),
      event({ status: 'Extracting', id: 'a1' }),
      event({ status: 'Pull complete', id: 'a1' }),
    ]);
    assert.equal(outcome, null);
    assert.deepEqual(lines, ['1: Pulling from x', 'Downloading 300 B of 2 KiB', 'a1: Pull complete']);
  });

  it('takes an event split across chunks as one line', async () => {
    const whole = event({ status: 'Digest: sha256:abc' });
    const { lines } = await pull([whole.slice(0, 7), whole.slice(7, 12), whole.slice(12)]);
    assert.deepEqual(lines, ['Digest: sha256:abc']);
  });

  it("fails with Docker's own words when the stream ends on an error event", async () => {
    const { outcome } = await pull([
      event({ status: 'Pulling' }),
      event({ errorDetail: { message: 'manifest unknown' } }),
    ]);
    assert.ok(outcome instanceof BerthError);
    assert.equal(outcome.message, 'Docker could not pull registry.lab/x:1: manifest unknown');
  });

  it('stops a pull whose layers add up to more than the limit, naming the limit', async () => {
    const { stops } = await pull(
      [
        event({ status: 'Downloading', id: 'a', progressDetail: { current: 1, total: 600 * 1024 ** 2 } }),
        event({ status: 'Downloading', id: 'b', progressDetail: { current: 1, total: 600 * 1024 ** 2 } }),
      ],
      1024 ** 3,
    );
    assert.equal(stops.length, 1, 'the first layer alone is within the limit');
    assert.match(
      stops[0]?.message ?? '',
      /^registry\.lab\/x:1 is more than 1 GiB to download and its pull was stopped/,
    );
  });
  it('counts what a layer sent beyond its stated total, or without one', async () => {
    const { stops } = await pull(
      [
        event({ status: 'Downloading', id: 'a', progressDetail: { current: 600 * 1024 ** 2, total: 1 } }),
        event({ status: 'Downloading', id: 'b', progressDetail: { current: 600 * 1024 ** 2 } }),
      ],
      1024 ** 3,
    );
    assert.equal(stops.length, 1, 'two layers of 600 MiB each are more than 1 GiB');
  });
});
