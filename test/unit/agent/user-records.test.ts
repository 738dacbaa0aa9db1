import * as assert from 'node:assert/strict';
import { checkLabel, sameFingerprint } from '../../../agent/user-records';

describe('agent: token labels and key fingerprints', () => {
  it('refuses a label with control characters or over 64 characters with invalid_params', () => {
    assert.throws(() => checkLabel('a\nb'), { code: 'invalid_params' });
    assert.throws(() => checkLabel('x'.repeat(65)), { code: 'invalid_params' });
    assert.equal(checkLabel('alice laptop (2024)'), 'alice laptop (2024)');
  });

  it('compares fingerprints with or without their prefix', () => {
    assert.ok(sameFingerprint('SHA256:abc', 'abc'));
    assert.ok(!sameFingerprint('SHA256:abc', 'SHA256:abd'));
  });
});
