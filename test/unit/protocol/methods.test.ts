import * as assert from 'node:assert/strict';
import { METHODS } from '../../../protocol';

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

describe('protocol: token and key method params', () => {
  const revoke = METHODS['user.revokeToken'].params;

  it('revokes by an 8-hex-digit id, or every token of a named user with all: true', () => {
    assert.ok(revoke.safeParse({ id: '0a1b2c3d' }).success);
    assert.ok(revoke.safeParse({ user: 'alice', all: true }).success);
  });

  it('refuses a revocation that names no token, a malformed id, or mixes both forms', () => {
    for (const params of [
      {},
      { id: 'xyz' },
      { user: 'alice' },
      { user: 'alice', all: false },
      { id: '0a1b2c3d', all: true },
    ]) {
      assert.ok(!revoke.safeParse(params).success, JSON.stringify(params));
    }
  });

  it('needs a fingerprint to remove a key, and refuses unknown fields', () => {
    assert.ok(METHODS['user.removeKey'].params.safeParse({ fingerprint: 'SHA256:x' }).success);
    assert.ok(!METHODS['user.removeKey'].params.safeParse({}).success);
    assert.ok(!METHODS['user.tokens'].params.safeParse({ all: true }).success);
  });
});
