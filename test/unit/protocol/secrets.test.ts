import * as assert from 'node:assert/strict';
import { describeIssues, METHODS, SecretRef, WorkspaceChanges, WorkspaceSpecInput } from '../../../protocol';

const setParams = METHODS['secret.set'].params;

describe('protocol: secrets', () => {
  it('takes env-like names and slugs, and refuses others with one clear line', () => {
    for (const name of ['GITHUB_TOKEN', 'ssh-key', '_x', 'a'.repeat(64)]) {
      assert.ok(setParams.safeParse({ name, value: 'v' }).success, name);
    }
    for (const name of ['', '1abc', '../x', 'a b', 'a'.repeat(65), '__proto__', 'x\u0000']) {
      const parsed = setParams.safeParse({ name, value: 'v' });
      assert.ok(!parsed.success, name);
      assert.match(describeIssues(parsed.error), /^name: must/);
    }
  });

  it('bounds the value at 64 KiB (bytes, not characters) and never repeats it in the error', () => {
    assert.ok(setParams.safeParse({ name: 'A', value: 'x'.repeat(64 * 1024) }).success);
    const big = `secret-${'é'.repeat(33 * 1024)}`;
    const parsed = setParams.safeParse({ name: 'A', value: big });
    assert.ok(!parsed.success);
    const message = describeIssues(parsed.error);
    assert.equal(message, 'value: must be at most 64 KiB');
    assert.ok(!message.includes('secret-'));
    const nul = setParams.safeParse({ name: 'A', value: 'se\u0000cret' });
    assert.ok(!nul.success && !describeIssues(nul.error).includes('cret'));
    assert.ok(!setParams.safeParse({ name: 'A', value: '' }).success);
    assert.ok(!setParams.safeParse({ name: 'A', value: 'v', user: 'bob' }).success, 'no other user');
  });

  it('takes references with exactly one target, and no path outside where files may go', () => {
    assert.ok(SecretRef.safeParse({ key: 'A', env: 'A' }).success);
    assert.ok(SecretRef.safeParse({ key: 'A', file: '/run/secrets/A' }).success);
    assert.ok(SecretRef.safeParse({ key: 'A', file: '/home/dev/.config/a.pem' }).success);
    for (const ref of [
      { key: 'A' },
      { key: 'A', env: 'A', file: '/run/secrets/A' },
      { key: 'A', file: 'relative' },
      { key: 'A', file: '/home/dev/../../etc/shadow' },
      { key: 'A', file: '/proc/self/environ' },
      { key: 'A', file: '/.berth/init' },
      { key: 'A', file: '/run/secrets/B' },
      { key: 'A', file: '/tmp/a b' },
      { key: 'A', env: 'A-B' },
      { key: 'A', env: 'A', value: 'no values here' },
    ]) {
      assert.ok(!SecretRef.safeParse(ref).success, JSON.stringify(ref));
    }
  });

  it('is an optional spec field that updates may clear with null', () => {
    assert.ok(WorkspaceSpecInput.safeParse({ name: 'a' }).success);
    assert.ok(WorkspaceSpecInput.safeParse({ name: 'a', secrets: [{ key: 'A', env: 'X' }] }).success);
    assert.ok(
      !WorkspaceSpecInput.safeParse({
        name: 'a',
        secrets: [
          { key: 'A', env: 'X' },
          { key: 'B', env: 'X' },
        ],
      }).success,
    );
    assert.ok(WorkspaceChanges.safeParse({ secrets: null }).success);
  });
});
