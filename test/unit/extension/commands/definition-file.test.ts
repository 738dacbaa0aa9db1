import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultWorkspaceName, definitionToUse, definitionsIn } from '../../../../extension/commands/definition-file';
import { WorkspaceName } from '../../../../protocol';

describe('extension: which devcontainer.json "Create Workspace from devcontainer.json…" takes', () => {
  let root = '';
  /** A folder under the suite's temp dir holding `files` (relative paths). */
  const folder = (name: string, files: string[]) => {
    const dir = path.join(root, name);
    mkdirSync(dir, { recursive: true });
    for (const file of files) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), '{}');
    }
    return dir;
  };

  before(() => (root = mkdtempSync(path.join(os.tmpdir(), 'berth-definition-'))));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('takes the only open folder’s .devcontainer/devcontainer.json', async () => {
    const dir = folder('one', ['.devcontainer/devcontainer.json']);
    assert.equal(await definitionToUse([dir]), path.join(dir, '.devcontainer', 'devcontainer.json'));
  });

  it('takes .devcontainer.json when that is what the folder has', async () => {
    const dir = folder('flat', ['.devcontainer.json']);
    assert.equal(await definitionToUse([dir]), path.join(dir, '.devcontainer.json'));
  });

  it('prefers .devcontainer/devcontainer.json over .devcontainer.json, as the spec looks', async () => {
    const dir = folder('both', ['.devcontainer/devcontainer.json', '.devcontainer.json']);
    assert.deepEqual(await definitionsIn(dir), [
      path.join(dir, '.devcontainer', 'devcontainer.json'),
      path.join(dir, '.devcontainer.json'),
    ]);
    assert.equal(await definitionToUse([dir]), path.join(dir, '.devcontainer', 'devcontainer.json'));
  });

  it('asks (null) when no folder is open, the folder has none, or several folders are open', async () => {
    assert.equal(await definitionToUse([]), null);
    assert.equal(await definitionToUse([folder('empty', ['README.md'])]), null);
    const a = folder('a', ['.devcontainer.json']);
    const b = folder('b', ['.devcontainer.json']);
    assert.equal(await definitionToUse([a, b]), null);
  });

  it('does not take a folder named devcontainer.json', async () => {
    const dir = folder('dir', ['.devcontainer.json/inner']);
    assert.equal(await definitionToUse([dir]), null);
  });
});

describe('extension: the default name of a workspace made from a devcontainer.json', () => {
  const cases: [string, string][] = [
    ['/src/web', 'web'],
    ['/src/My Project', 'my-project'],
    ['/src/ml_training.v2', 'ml-training-v2'],
    ['/src/2024-thesis', 'thesis'],
    ['/src/__init__', 'init'],
    ['/src/Été', 'ete'],
    ['/src/123', 'workspace'],
    ['/', 'workspace'],
  ];
  for (const [folder, name] of cases) {
    it(`names ${folder} "${name}"`, () => assert.equal(defaultWorkspaceName(folder), name));
  }

  it('cuts a long folder name to 63 characters, without a trailing hyphen, and the result is valid', () => {
    const name = defaultWorkspaceName(`/src/${'a'.repeat(62)}-bbbb`);
    assert.equal(name, 'a'.repeat(62));
    assert.ok(WorkspaceName.safeParse(name).success);
    for (const folder of ['/x/Ünïcødé Földer', '/x/-', '/x/a--b', `/x/${'x-'.repeat(40)}`]) {
      const made = defaultWorkspaceName(folder);
      assert.ok(WorkspaceName.safeParse(made).success, `${folder} → ${made}`);
    }
  });
});
