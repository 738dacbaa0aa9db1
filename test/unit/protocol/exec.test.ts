import * as assert from 'node:assert/strict';
import { ClientFrame, EXEC_CHUNK_BYTES, ExecInput, METHODS, describeIssues } from '../../../protocol';

const params = METHODS['workspace.exec'].params;

describe('protocol: workspace.exec', () => {
  it('takes an argv with defaults: no terminal, stdin at end of file', () => {
    assert.deepEqual(params.parse({ name: 'web', command: ['ls', '-la'] }), {
      name: 'web',
      command: ['ls', '-la'],
      tty: false,
      stdin: false,
    });
  });

  it('refuses an empty command, a NUL in an argument, a string instead of an argv and unknown fields', () => {
    const problem = (value: unknown) => {
      const parsed = params.safeParse(value);
      return parsed.success ? null : describeIssues(parsed.error);
    };
    assert.match(problem({ name: 'web', command: [] })!, /give the command to run/);
    assert.match(problem({ name: 'web', command: ['sh', 'a\0b'] })!, /NUL/);
    assert.ok(problem({ name: 'web', command: 'rm -rf /' }));
    assert.ok(problem({ name: 'web', command: ['true'], privileged: true }));
    assert.ok(problem({ name: 'web', command: ['true'], tty: true, size: { cols: 0, rows: 24 } }));
  });

  it('reads stdin and resize frames as client frames, and refuses a chunk over the limit or not base64', () => {
    assert.ok(ClientFrame.safeParse({ input: 3, data: Buffer.from('hi').toString('base64') }).success);
    assert.ok(ClientFrame.safeParse({ input: 3, eof: true }).success);
    assert.ok(ClientFrame.safeParse({ resize: 3, size: { cols: 100, rows: 30 } }).success);
    assert.equal(ExecInput.safeParse({ input: 3 }).success, false, 'neither data nor eof');
    assert.equal(ExecInput.safeParse({ input: 3, data: 'not base64!' }).success, false);
    const tooBig = Buffer.alloc(EXEC_CHUNK_BYTES + 3).toString('base64');
    assert.equal(ExecInput.safeParse({ input: 3, data: tooBig }).success, false);
    assert.ok(ExecInput.safeParse({ input: 3, data: Buffer.alloc(EXEC_CHUNK_BYTES).toString('base64') }).success);
  });
});
