import * as assert from 'node:assert/strict';
import {
  METHODS,
  Reply,
  ServerFrame,
  WorkspaceName,
  WorkspaceChanges,
  WorkspaceSpecInput,
  applyChanges,
  describeIssues,
  parseEvent,
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

describe('protocol: method params', () => {
  it('defaults workspace.logs to the last 200 lines, not followed', () => {
    assert.deepEqual(METHODS['workspace.logs'].params.parse({ name: 'web' }), {
      name: 'web',
      tail: 200,
      follow: false,
    });
  });

  it('defaults workspace.delete to keeping the data', () => {
    assert.equal(METHODS['workspace.delete'].params.parse({ name: 'web' }).deleteData, false);
  });

  it('refuses params to host.info', () => {
    assert.ok(!METHODS['host.info'].params.safeParse({ verbose: true }).success);
  });

  it('refuses unknown fields in a workspace reference', () => {
    assert.ok(!METHODS['workspace.get'].params.safeParse({ name: 'web', id: 'x' }).success);
  });

  it('caps workspace.logs tail at 100000 lines', () => {
    assert.ok(!METHODS['workspace.logs'].params.safeParse({ name: 'web', tail: 100_001 }).success);
  });
});

describe('protocol: replies and server frames', () => {
  it('parses a result reply', () => {
    assert.deepEqual(Reply.parse({ id: 7, result: { ok: true } }), { id: 7, result: { ok: true } });
  });

  it('parses an error reply to an unreadable request, with a null id', () => {
    const reply = Reply.parse({ id: null, error: { code: 'bad_frame', message: 'not JSON' } });
    assert.ok('error' in reply);
    assert.equal(reply.error.code, 'bad_frame');
  });

  it('rejects a reply with both result and error', () => {
    const both = { id: 1, result: {}, error: { code: 'internal', message: 'x' } };
    assert.ok(!Reply.safeParse(both).success);
  });

  it('rejects a result without a request id', () => {
    assert.ok(!Reply.safeParse({ id: null, result: {} }).success);
  });

  it('rejects an error code the protocol does not name', () => {
    assert.ok(!Reply.safeParse({ id: 1, error: { code: 'oops', message: 'x' } }).success);
  });

  it('parses a welcome, a reply and an event as server frames', () => {
    const welcome = {
      welcome: { protocol: 1, agentVersion: '0.1.0', host: 'h', user: { name: 'alice', admin: false } },
    };
    assert.ok(ServerFrame.safeParse(welcome).success);
    assert.ok(ServerFrame.safeParse({ id: 'a', result: null }).success);
    assert.ok(ServerFrame.safeParse({ event: 'workspace.removed', data: {} }).success);
  });
});

describe('protocol: events', () => {
  it('validates a known event', () => {
    const data = { id: 'abc', name: 'web', owner: 'alice' };
    assert.deepEqual(parseEvent({ event: 'workspace.removed', data }), { event: 'workspace.removed', data });
  });

  it('ignores an event it does not know (from a newer agent)', () => {
    assert.equal(parseEvent({ event: 'workspace.teleported', data: {} }), null);
  });

  it('ignores a known event with malformed data', () => {
    assert.equal(parseEvent({ event: 'workspace.removed', data: { id: 1 } }), null);
  });

  it('does not take inherited property names for events', () => {
    assert.equal(parseEvent({ event: 'toString', data: {} }), null);
  });
});
