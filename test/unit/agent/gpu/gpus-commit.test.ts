import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BerthError } from '../../../../protocol';
import { Gpus } from '../../../../agent/gpu/gpus';
import { Store } from '../../../../agent/state/store';
import { record } from '../../../support/builders';

/** A `starting` workspace of `owner` asking for `gpus` GPUs, holding none. */
const asking = (name: string, owner: string, gpus: number) => record(name, { owner, state: 'starting' }, { gpus });

const FAKE = path.resolve(__dirname, '..', '..', '..', 'support', 'fake-nvidia-smi.mjs');

describe('agent: GPU holdings are saved before they count (Gpus over a store whose writes fail)', () => {
  let dir: string;
  let store: Store;
  let gpus: Gpus;
  const noWait = { waitMs: 0, onQueued: () => undefined };
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const file = () => path.join(dir, 'workspaces.json');
  /** Every write fails while a directory takes the state file's place (the rename onto it fails, for root too). */
  const breakSaves = async () => {
    await fs.rm(file(), { force: true });
    await fs.mkdir(file());
  };

  beforeEach(async () => {
    process.env.FAKE_NVIDIA_SMI_FIXTURE = 'plain';
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-gpu-commit-'));
    store = await Store.open(dir);
    gpus = new Gpus(
      { nvidiaSmi: FAKE, mode: 'nvidia', sharing: 1, defaultQuota: null },
      store,
      async () => null,
      silent,
    );
    await gpus.load();
  });

  afterEach(async () => {
    delete process.env.FAKE_NVIDIA_SMI_FIXTURE;
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('gives nothing to a start whose holding cannot be saved, and the GPUs stay free for the next', async () => {
    const first = asking('first', 'alice', 4);
    const next = asking('next', 'bob', 4);
    await store.add(first);
    await store.add(next);
    await breakSaves();
    await assert.rejects(gpus.acquire(first, noWait), (err: BerthError) => err.code === 'internal');
    assert.equal(first.assignedGpus, undefined);
    await fs.rmdir(file());
    await gpus.acquire(next, noWait);
    assert.equal(next.assignedGpus?.length, 4);
  });

  it('counts GPUs chosen for a start as held while their save is under way', async () => {
    const records = ['a', 'b', 'c', 'd', 'e'].map((name) => asking(name, name, 1));
    for (const r of records) await store.add(r);
    // The first four choose at once and save together; the fifth must see all four taken.
    const results = await Promise.allSettled(records.map((r) => gpus.acquire(r, noWait)));
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected'],
    );
    assert.equal(new Set(records.flatMap((r) => r.assignedGpus ?? [])).size, 4);
  });

  it('keeps the GPUs of a workspace whose release cannot be saved', async () => {
    const holder = asking('holder', 'alice', 2);
    await store.add(holder);
    await gpus.acquire(holder, noWait);
    const held = holder.assignedGpus;
    await store.change(holder, (draft) => (draft.spec = { ...draft.spec, gpus: 0 }));
    await breakSaves();
    await assert.rejects(gpus.acquire(holder, noWait), (err: BerthError) => err.code === 'internal');
    assert.deepEqual(holder.assignedGpus, held);
  });
});
