import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BerthError } from '../../../../protocol';
import { Store } from '../../../../agent/state/store';
import { record } from '../../../support/builders';

const failedSave = (err: BerthError) => {
  assert.equal(err.code, 'internal');
  assert.match(err.message, /could not save the workspace state to .*workspaces\.json .*nothing was changed/);
  return true;
};

describe('agent: store commits (a change reaches memory only once it is on disk)', () => {
  let dir: string;
  let store: Store;
  const file = () => path.join(dir, 'workspaces.json');
  const onDisk = async () => (await Store.open(dir)).all();
  /** Every write fails while a directory takes the state file's place (the rename onto it fails, for root too). */
  const breakSaves = async () => {
    await fs.rm(file(), { force: true });
    await fs.mkdir(file());
  };
  const repairSaves = () => fs.rmdir(file());

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-store-commit-'));
    store = await Store.open(dir);
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('changes the very record others hold, once the change is on disk', async () => {
    const web = record('web');
    await store.add(web);
    const change = store.change(web, (draft) => (draft.state = 'stopping'));
    assert.equal(web.state, 'running', 'not before the write');
    await change;
    assert.equal(web.state, 'stopping');
    assert.equal(store.get(web.id), web);
    assert.equal((await onDisk())[0]?.state, 'stopping');
  });

  it('leaves memory as it was when the write fails, and a later save does not carry the change out', async () => {
    const web = record('web');
    await store.add(web);
    await breakSaves();
    await assert.rejects(
      store.change(web, (draft) => {
        draft.state = 'deleting';
        draft.deleteData = true;
      }),
      failedSave,
    );
    assert.equal(web.state, 'running');
    assert.equal(web.deleteData, undefined);
    await repairSaves();
    await store.save();
    assert.deepEqual(await onDisk(), [record('web')]);
  });

  it('adds nothing and removes nothing when the write fails', async () => {
    const web = record('web');
    await store.add(web);
    await breakSaves();
    await assert.rejects(store.add(record('api')), failedSave);
    await assert.rejects(store.delete(web.id, `berth-${web.id}-home`), failedSave);
    assert.deepEqual(
      store.all().map((r) => r.name),
      ['web'],
    );
    assert.deepEqual([...store.keptVolumes()], []);
  });

  it('keeps what changed meanwhile in fields the change did not touch (the idle clocks)', async () => {
    const web = record('web');
    await store.add(web);
    const change = store.change(web, (draft) => (draft.message = 'hello'));
    web.lastActivity = { at: '2024-05-01T11:00:00.000Z', signal: 'present' };
    await change;
    assert.equal(web.message, 'hello');
    assert.deepEqual(web.lastActivity, { at: '2024-05-01T11:00:00.000Z', signal: 'present' });
  });

  it('removes a field the edit deleted', async () => {
    const web = { ...record('web'), assignedGpus: ['GPU-1'] };
    await store.add(web);
    await store.change(web, (draft) => delete draft.assignedGpus);
    assert.equal('assignedGpus' in web, false);
    assert.equal((await onDisk())[0]?.assignedGpus, undefined);
  });

  it('lands every one of concurrent commits, in order, in memory and on disk', async () => {
    const records = Array.from({ length: 20 }, (_, i) => record(`ws${i}`));
    await Promise.all(records.map((r) => store.add(r)));
    await Promise.all([
      ...records.map((r) => store.change(r, (draft) => (draft.state = 'stopped'))),
      store.delete(records[0]!.id, 'berth-kept-home'),
    ]);
    const expected = records.slice(1).map((r) => ({ ...r, state: 'stopped' }));
    assert.deepEqual(store.all(), expected);
    assert.deepEqual(await onDisk(), expected);
    assert.deepEqual([...(await Store.open(dir)).keptVolumes()], ['berth-kept-home']);
  });

  it('refuses a change to a record it no longer holds', async () => {
    await assert.rejects(
      store.change(record('gone'), (draft) => (draft.state = 'stopped')),
      (err: BerthError) => err.code === 'not_found' && /"gone" was deleted/.test(err.message),
    );
  });
});
