import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Store } from '../../../../agent/state/store';
import { idOf, record } from '../../../support/builders';

describe('agent: the workspace store', () => {
  let dir: string;
  const file = () => path.join(dir, 'workspaces.json');

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-store-'));
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('opens empty on a directory without a state file, and writes none until saved', async () => {
    const store = await Store.open(dir);
    assert.deepEqual(store.all(), []);
    assert.deepEqual(await fs.readdir(dir), []);
  });

  it('reads back after a reopen what was put and saved', async () => {
    const store = await Store.open(dir);
    store.put(record('web', {}, { env: { GREETING: "it's here" } }));
    store.put(record('api'));
    store.keepVolume('berth-cccccccccccc-home');
    await store.save();

    const reopened = await Store.open(dir);
    assert.deepEqual(reopened.all(), store.all());
    assert.equal(reopened.find('alice', 'api')?.id, idOf('api'));
    assert.deepEqual([...reopened.keptVolumes()], ['berth-cccccccccccc-home']);
  });

  it('forgets a removed record once saved', async () => {
    const store = await Store.open(dir);
    store.put(record('web'));
    await store.save();
    store.remove(idOf('web'));
    await store.save();
    assert.deepEqual((await Store.open(dir)).all(), []);
  });

  it('resolves every one of concurrent saves, and the file ends with the last state', async () => {
    const store = await Store.open(dir);
    const web = record('web');
    store.put(web);
    const saves: Promise<void>[] = [];
    for (const state of ['starting', 'running', 'stopping', 'stopped'] as const) {
      web.state = state;
      store.put(record(`ws-${state}`));
      saves.push(store.save());
    }
    await Promise.all(saves);

    const reopened = await Store.open(dir);
    assert.equal(reopened.get(idOf('web'))?.state, 'stopped');
    assert.deepEqual(
      reopened.all().map((r) => r.name),
      ['web', 'ws-starting', 'ws-running', 'ws-stopping', 'ws-stopped'],
    );
  });

  it('leaves no temporary files behind after saving', async () => {
    const store = await Store.open(dir);
    store.put(record('web'));
    await Promise.all([store.save(), store.save(), store.save()]);
    assert.deepEqual(await fs.readdir(dir), ['workspaces.json']);
  });

  it('refuses a state file of another shape, naming it, and leaves it as it was', async () => {
    const corrupt = JSON.stringify({ version: 1, workspaces: [{ id: 'not-hex' }] });
    await fs.writeFile(file(), corrupt);
    await assert.rejects(Store.open(dir), (err: Error) => {
      assert.ok(err.message.includes(file()), err.message);
      assert.match(err.message, /not a valid Berth state file/);
      return true;
    });
    assert.equal(await fs.readFile(file(), 'utf8'), corrupt);
  });

  it('refuses a state file that is not JSON, and leaves it as it was', async () => {
    await fs.writeFile(file(), '{"version":1,"workspaces":[');
    await assert.rejects(Store.open(dir));
    assert.equal(await fs.readFile(file(), 'utf8'), '{"version":1,"workspaces":[');
  });
});
