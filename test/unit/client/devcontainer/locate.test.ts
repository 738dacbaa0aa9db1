import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { locateDefinition, projectFolder } from '../../../../client/devcontainer/locate';
import { loadDevcontainer } from '../../../../client/devcontainer';

describe('client: finding a devcontainer.json', () => {
  let dir: string;
  beforeEach(async () => (dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-dc-'))));
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('finds .devcontainer/devcontainer.json first, then .devcontainer.json', async () => {
    await fs.writeFile(path.join(dir, '.devcontainer.json'), '{}');
    assert.deepEqual(await locateDefinition(dir), { file: path.join(dir, '.devcontainer.json'), workspaceFolder: dir });
    await fs.mkdir(path.join(dir, '.devcontainer'));
    await fs.writeFile(path.join(dir, '.devcontainer', 'devcontainer.json'), '{}');
    assert.equal((await locateDefinition(dir)).file, path.join(dir, '.devcontainer', 'devcontainer.json'));
  });

  it('takes the file itself, its project the folder above .devcontainer', async () => {
    const file = path.join(dir, '.devcontainer', 'py', 'devcontainer.json');
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, '{}');
    assert.deepEqual(await locateDefinition(path.relative(process.cwd(), file)), { file, workspaceFolder: dir });
    assert.equal(projectFolder('/a/b/dc.json'), '/a/b');
  });

  it('says where it looked when there is none', async () => {
    await assert.rejects(
      locateDefinition(dir),
      /holds neither \.devcontainer\/devcontainer\.json nor \.devcontainer\.json/,
    );
    await assert.rejects(locateDefinition(path.join(dir, 'nope')), /no such file or folder/);
  });

  it('loads one: located, parsed, translated', async () => {
    await fs.writeFile(path.join(dir, '.devcontainer.json'), '{ "image": "x:1", // comment\n}');
    const definition = await loadDevcontainer(dir, 'web', {});
    assert.deepEqual(definition.spec, { devcontainer: path.join(dir, '.devcontainer.json'), image: 'x:1' });
  });
});
