import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BerthError } from '../../../../protocol';
import { Gpus } from '../../../../agent/gpu/gpus';
import type { WorkspaceRecord } from '../../../../agent/state/record';
import { Store } from '../../../../agent/state/store';
import { record } from '../../../support/builders';

const FAKE = path.resolve(__dirname, '..', '..', '..', 'support', 'fake-nvidia-smi.mjs');

/** A workspace of `owner` asking for `gpus`, holding none yet. */
const wanting = (name: string, owner: string, gpus: number, spec: Partial<WorkspaceRecord['spec']> = {}) =>
  record(name, { owner, state: 'starting' }, { gpus, ...spec });

describe('GPU holdings, quota and queue (Gpus over a real store)', () => {
  let dir: string;
  let store: Store;
  const quotas = new Map<string, number>();
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined } as never;

  async function gpus(sharing = 1): Promise<Gpus> {
    const manager = new Gpus(
      { nvidiaSmi: FAKE, mode: 'nvidia', sharing, defaultQuota: null },
      store,
      async (user) => quotas.get(user) ?? null,
      silent,
    );
    await manager.load();
    return manager;
  }
  const add = (r: WorkspaceRecord) => (store.put(r), r);
  const noWait = { waitMs: 0, onQueued: () => undefined };

  beforeEach(async () => {
    process.env.FAKE_NVIDIA_SMI_FIXTURE = 'plain';
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-gpu-unit-'));
    store = await Store.open(dir);
    quotas.clear();
  });
  afterEach(async () => {
    delete process.env.FAKE_NVIDIA_SMI_FIXTURE;
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('never gives one GPU to two of 50 concurrent requests, and saves the holdings', async () => {
    const manager = await gpus();
    const records = Array.from({ length: 50 }, (_, i) => add(wanting(`w${i}`, `u${i % 5}`, 1)));
    const results = await Promise.allSettled(records.map((r) => manager.acquire(r, noWait)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 4);
    const uuids = records.flatMap((r) => r.assignedGpus ?? []);
    assert.equal(new Set(uuids).size, 4);
    const saved = JSON.parse(await fs.readFile(path.join(dir, 'workspaces.json'), 'utf8')) as {
      workspaces: WorkspaceRecord[];
    };
    assert.equal(saved.workspaces.flatMap((r) => r.assignedGpus ?? []).length, 4);
  });

  it("says who holds the GPUs: the owner's workspaces by name, others by count", async () => {
    const manager = await gpus();
    await manager.acquire(add(wanting('train', 'alice', 2, { gpuModel: 'H100' })), noWait);
    await manager.acquire(add(wanting('bobs', 'bob', 1, { gpuModel: 'A100' })), noWait);
    await manager.acquire(add(wanting('carol', 'carol', 1, { gpuModel: 'T4' })), noWait);
    await assert.rejects(manager.acquire(add(wanting('more', 'alice', 3)), noWait), (err: BerthError) => {
      assert.equal(err.code, 'no_capacity');
      assert.match(err.message, /held by your workspace train and 2 workspaces of other users/);
      assert.deepEqual((err.data as { holders: unknown[] }).holders, [
        { owner: 'alice', workspace: 'train' },
        { owner: null, workspace: null },
        { owner: null, workspace: null },
      ]);
      return true;
    });
    const view = manager.hostGpus({ name: 'bob', admin: false });
    assert.deepEqual(view[0]?.holders, [{ owner: null, workspace: null }]);
    assert.deepEqual(view[2]?.holders, [{ owner: 'bob', workspace: 'bobs' }]);
    assert.equal(view[3]?.free, 0);
  });

  it('enforces the per-user quota with forbidden', async () => {
    quotas.set('alice', 2);
    const manager = await gpus();
    await manager.acquire(add(wanting('one', 'alice', 1)), noWait);
    await assert.rejects(
      manager.acquire(add(wanting('two', 'alice', 2)), noWait),
      /GPU quota of alice is 2: 1 held \(in one\), 2 more asked for/,
    );
    await manager.acquire(add(wanting('three', 'alice', 1)), noWait);
  });

  it('queues FIFO: a release serves the first waiter, positions are reported, a timeout fails', async () => {
    const manager = await gpus();
    const holder = add(wanting('holder', 'alice', 4));
    await manager.acquire(holder, noWait);
    const positions: string[] = [];
    const first = add(wanting('first', 'bob', 1));
    const second = add(wanting('second', 'carol', 1));
    const third = add(wanting('third', 'dave', 1));
    const waitFirst = manager.acquire(first, { waitMs: 10_000, onQueued: (p) => positions.push(`first:${p}`) });
    const waitSecond = manager.acquire(second, { waitMs: 10_000, onQueued: (p) => positions.push(`second:${p}`) });
    const timedOut = manager.acquire(third, { waitMs: 200, onQueued: (p) => positions.push(`third:${p}`) });
    await assert.rejects(timedOut, /waited 0.2 s for GPUs in vain: no 1 GPU free/);
    assert.deepEqual(positions, ['first:1', 'second:2', 'third:3']);
    manager.release(holder);
    await Promise.all([waitFirst, waitSecond]);
    assert.deepEqual(first.assignedGpus, ['GPU-0b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8']);
    assert.deepEqual(second.assignedGpus, ['GPU-1c2d3e4f-5a6b-7c8d-9eaf-b0c1d2e3f4a5']);
  });

  it('leaves the queue on cancel, and the next waiter moves up', async () => {
    const manager = await gpus();
    const holder = add(wanting('holder', 'alice', 4));
    await manager.acquire(holder, noWait);
    const abort = new AbortController();
    const positions: number[] = [];
    let queued!: () => void;
    const bothQueued = new Promise<void>((resolve) => (queued = resolve));
    const cancelled = manager.acquire(add(wanting('a', 'bob', 1)), {
      waitMs: 10_000,
      signal: abort.signal,
      onQueued: () => undefined,
    });
    const next = add(wanting('b', 'carol', 1));
    const waiting = manager.acquire(next, {
      waitMs: 10_000,
      onQueued: (position) => {
        positions.push(position);
        if (position === 2) queued();
      },
    });
    await bothQueued;
    abort.abort();
    await assert.rejects(cancelled, (err: BerthError) => err.code === 'cancelled');
    assert.deepEqual(positions, [2, 1]);
    manager.release(holder);
    await waiting;
    assert.equal(next.assignedGpus?.length, 1, 'served first once GPUs are free');
  });

  it('serves the next waiter at once when the head of the queue gives up', async () => {
    const manager = await gpus();
    const holder = add(wanting('holder', 'alice', 3));
    await manager.acquire(holder, noWait);
    const abort = new AbortController();
    const head = manager.acquire(add(wanting('head', 'bob', 2)), {
      waitMs: 10_000,
      signal: abort.signal,
      onQueued: () => undefined,
    });
    let queued!: () => void;
    const behind = new Promise<void>((resolve) => (queued = resolve));
    const next = add(wanting('next', 'carol', 1));
    // One GPU is free, but FIFO keeps this behind the head, which wants two.
    const served = manager.acquire(next, { waitMs: 10_000, onQueued: (position) => position === 2 && queued() });
    await behind;
    abort.abort();
    await assert.rejects(head, (err: BerthError) => err.code === 'cancelled');
    await served;
    assert.deepEqual(next.assignedGpus, ['GPU-3e4f5a6b-7c8d-9eaf-b0c1-d2e3f4a5b6c7']);
  });

  it('checks the quota again when a waiter is served', async () => {
    quotas.set('alice', 2);
    const manager = await gpus();
    const holder = add(wanting('holder', 'bob', 4));
    await manager.acquire(holder, noWait);
    const first = add(wanting('first', 'alice', 2));
    const second = add(wanting('second', 'alice', 2));
    let queued!: () => void;
    const bothQueued = new Promise<void>((resolve) => (queued = resolve));
    const waitFirst = manager.acquire(first, { waitMs: 10_000, onQueued: () => undefined });
    const waitSecond = manager.acquire(second, { waitMs: 10_000, onQueued: (position) => position === 2 && queued() });
    // Each passed the quota when it queued (alice held nothing then).
    await bothQueued;
    const refused = assert.rejects(waitSecond, (err: BerthError) => {
      assert.equal(err.code, 'forbidden');
      assert.match(err.message, /GPU quota of alice is 2: 2 held \(in first\), 2 more asked for/);
      return true;
    });
    manager.release(holder);
    await waitFirst;
    await refused;
    assert.equal(second.assignedGpus, undefined);
  });

  it('lets a workspace keep the GPUs it holds while others wait (a running one being updated)', async () => {
    const manager = await gpus();
    const holder = add(wanting('holder', 'alice', 4));
    await manager.acquire(holder, noWait);
    const held = holder.assignedGpus;
    let queued!: () => void;
    const isQueued = new Promise<void>((resolve) => (queued = resolve));
    const waiter = add(wanting('w', 'bob', 1));
    const waiting = manager.acquire(waiter, { waitMs: 10_000, onQueued: () => queued() });
    await isQueued;
    await manager.acquire(holder, noWait);
    assert.deepEqual(holder.assignedGpus, held);
    // Asking for fewer keeps the first it holds and serves the queue with the rest.
    holder.spec = { ...holder.spec, gpus: 1 };
    await manager.acquire(holder, noWait);
    assert.deepEqual(holder.assignedGpus, held?.slice(0, 1));
    await waiting;
    assert.deepEqual(waiter.assignedGpus, held?.slice(1, 2));
  });

  it('refuses at once a non-waiting request while others wait', async () => {
    const manager = await gpus();
    const holder = add(wanting('holder', 'alice', 4));
    await manager.acquire(holder, noWait);
    const waiting = manager.acquire(add(wanting('w', 'bob', 2)), { waitMs: 10_000, onQueued: () => undefined });
    await assert.rejects(manager.acquire(add(wanting('x', 'carol', 1)), noWait), /1 earlier start is waiting for GPUs/);
    manager.release(holder);
    await waiting;
  });
});
