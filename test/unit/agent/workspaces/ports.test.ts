import * as assert from 'node:assert/strict';
import type * as net from 'node:net';
import { PortAllocator, parsePortRange } from '../../../../agent/workspaces/ports';
import { BerthError } from '../../../../protocol';
import { freePortRange, holdPort, release } from '../../../support/net';

describe('agent: SSH port allocation', () => {
  let range: { first: number; last: number };
  let held: net.Server | null = null;

  beforeEach(async () => {
    range = await freePortRange(3);
  });

  afterEach(async () => {
    if (held) await release(held);
    held = null;
  });

  it('hands out the lowest port of the range first', async () => {
    assert.equal(await new PortAllocator(range).allocate(new Set()), range.first);
  });

  it('skips ports other workspaces hold', async () => {
    const allocator = new PortAllocator(range);
    assert.equal(await allocator.allocate(new Set([range.first, range.first + 1])), range.first + 2);
  });

  it('skips a port another process listens on', async () => {
    held = await holdPort(range.first);
    assert.equal(await new PortAllocator(range).allocate(new Set()), range.first + 1);
  });

  it('hands out a port again once it is no longer held', async () => {
    const allocator = new PortAllocator(range);
    assert.equal(await allocator.allocate(new Set([range.first + 1])), range.first);
  });

  it('fails with no_capacity naming the range when every port is taken', async () => {
    const allocator = new PortAllocator(range);
    held = await holdPort(range.last);
    await assert.rejects(allocator.allocate(new Set([range.first, range.first + 1])), (err: unknown) => {
      assert.ok(err instanceof BerthError);
      assert.equal(err.code, 'no_capacity');
      assert.ok(err.message.includes(`${range.first}-${range.last}`), err.message);
      assert.deepEqual(err.data, { resource: 'ssh-port', first: range.first, last: range.last });
      return true;
    });
  });

  it('knows the size of its range', () => {
    assert.equal(new PortAllocator({ first: 2200, last: 2399 }).size, 200);
  });
});

describe('agent: --ports ranges', () => {
  it('reads FIRST-LAST', () => {
    assert.deepEqual(parsePortRange('2200-2399'), { first: 2200, last: 2399 });
  });

  it('reads a range of one port, ignoring surrounding space', () => {
    assert.deepEqual(parsePortRange(' 2200-2200 '), { first: 2200, last: 2200 });
  });

  for (const text of ['2399-2200', '0-10', '10-65536', '2200', '2200-', 'a-b', '2200 - 2399', '-5-10']) {
    it(`refuses ${JSON.stringify(text)} with an example of a valid range`, () => {
      assert.throws(() => parsePortRange(text), /expected a range such as 2200-2399 within 1-65535/);
    });
  }
});
