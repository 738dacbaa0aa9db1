import * as assert from 'node:assert/strict';
import type { ZodError } from 'zod';
import { METHODS, UserName, describeIssues } from '../../../protocol';

/** The message of a refused parse (fails when it parses). */
function refusal(parsed: { success: boolean; error?: ZodError }): string {
  assert.ok(!parsed.success && parsed.error, 'expected the input to be refused');
  return describeIssues(parsed.error);
}

describe('protocol: user names', () => {
  for (const name of ['__proto__', 'constructor', 'prototype']) {
    it(`refuses the user name ${name}, which every object already has`, () => {
      assert.match(refusal(UserName.safeParse(name)), /must not be "__proto__", "constructor" or "prototype"/);
      assert.match(refusal(METHODS['user.setQuota'].params.safeParse({ user: name, gpus: 0 })), /^user: /);
      assert.match(refusal(METHODS['user.keys'].params.safeParse({ user: name })), /^user: /);
    });
  }

  it('still accepts user names that merely look alike', () => {
    for (const name of ['_proto_', 'constructors', 'proto', '_']) assert.ok(UserName.safeParse(name).success, name);
  });
});
