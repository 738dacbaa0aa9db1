import * as assert from 'node:assert/strict';
import {
  StoredWorkspaceSpec,
  WorkspaceChanges,
  WorkspaceName,
  WorkspaceSpecInput,
  applyChanges,
  describeIssues,
} from '../../../protocol';

describe('protocol: workspace names', () => {
  for (const name of ['a', 'web', 'my-project', 'x1-2', `a${'b'.repeat(62)}`]) {
    it(`accepts ${JSON.stringify(name.length > 20 ? `${name.length} characters` : name)}`, () => {
      assert.ok(WorkspaceName.safeParse(name).success);
    });
  }

  const invalid: [string, string][] = [
    ['', 'empty'],
    ['1web', 'starting with a digit'],
    ['-web', 'starting with a hyphen'],
    ['UPPER', 'upper case'],
    ['my_project', 'an underscore'],
    ['../x', 'a path'],
    ['a b', 'a space'],
    [`a${'b'.repeat(63)}`, '64 characters'],
  ];
  for (const [name, what] of invalid) {
    it(`rejects ${what} with a message saying what a valid name is`, () => {
      const parsed = WorkspaceName.safeParse(name);
      assert.ok(!parsed.success);
      assert.match(describeIssues(parsed.error), /1–63 lowercase letters, digits or hyphens, starting with a letter/);
    });
  }
});

describe('protocol: workspace spec input', () => {
  it('needs only a name', () => {
    assert.deepEqual(WorkspaceSpecInput.parse({ name: 'web' }), { name: 'web' });
  });

  it('requires the name', () => {
    const parsed = WorkspaceSpecInput.safeParse({ cpus: 1 });
    assert.ok(!parsed.success);
    assert.match(describeIssues(parsed.error), /^name: /);
  });

  it('rejects unknown fields, naming them', () => {
    const parsed = WorkspaceSpecInput.safeParse({ name: 'web', colour: 'blue' });
    assert.ok(!parsed.success);
    assert.match(describeIssues(parsed.error), /colour/);
  });

  it('rejects a field of the wrong type, naming the field', () => {
    const parsed = WorkspaceSpecInput.safeParse({ name: 'web', cpus: 'two' });
    assert.ok(!parsed.success);
    assert.match(describeIssues(parsed.error), /^cpus: /);
  });

  it('rejects memory below 64 MiB', () => {
    const parsed = WorkspaceSpecInput.safeParse({ name: 'web', memory: 1024 });
    assert.ok(!parsed.success);
    assert.match(describeIssues(parsed.error), /memory: must be at least 64 MiB/);
  });

  it('rejects root as the SSH user', () => {
    assert.ok(!WorkspaceSpecInput.safeParse({ name: 'web', user: 'root' }).success);
  });
});

describe('protocol: workspace changes', () => {
  const spec = {
    name: 'train',
    image: 'berth-workspace:latest',
    cpus: 2,
    memory: 2 ** 30,
    gpus: 1,
    gpuModel: 'H100',
    gpuUuids: ['GPU-1'],
    env: {},
    command: '',
    user: 'dev',
    idleTimeout: 600,
  };

  it('clears an optional field given as null and keeps the others', () => {
    const changes = WorkspaceChanges.parse({ gpuUuids: null, idleTimeout: null, cpus: 4 });
    const next = applyChanges(spec, changes);
    assert.ok(!('gpuUuids' in next) && !('idleTimeout' in next));
    assert.equal(next.cpus, 4);
    assert.equal(next.gpuModel, 'H100');
    assert.equal(next.gpus, 1);
  });

  it('refuses null for a field every spec has', () => {
    assert.ok(!WorkspaceChanges.safeParse({ image: null }).success);
    assert.ok(!WorkspaceChanges.safeParse({ cpus: null }).success);
  });
});

describe('protocol: spec fields that would be lost or never match', () => {
  it('refuses an env variable named __proto__, which a plain object would swallow', () => {
    const parsed = WorkspaceSpecInput.safeParse({ name: 'web', env: JSON.parse('{"__proto__":"x"}') as unknown });
    assert.equal(parsed.success, false);
    assert.match(JSON.stringify(parsed.error?.issues), /must not be __proto__/);
    assert.equal(WorkspaceSpecInput.safeParse({ name: 'web', env: { constructor: 'x' } }).success, true);
  });

  it('refuses a GPU model with control characters, and keeps reading stored specs that have one', () => {
    const bad = WorkspaceSpecInput.safeParse({ name: 'web', gpuModel: 'H1\u000000' });
    assert.equal(bad.success, false);
    assert.match(JSON.stringify(bad.error?.issues), /printable text/);
    assert.equal(WorkspaceSpecInput.safeParse({ name: 'web', gpuModel: 'A100 80GB' }).success, true);
    const stored = StoredWorkspaceSpec.safeParse({
      name: 'web',
      image: 'berth-workspace:latest',
      cpus: 1,
      memory: 1024 ** 3,
      gpus: 1,
      gpuModel: 'H1\u000000',
      env: {},
      command: '',
      user: 'dev',
    });
    assert.equal(stored.success, true, JSON.stringify(stored.error?.issues));
  });
});
