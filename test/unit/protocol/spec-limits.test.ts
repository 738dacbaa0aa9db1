import * as assert from 'node:assert/strict';
import type { ZodError } from 'zod';
import {
  MAX_DURATION_SECONDS,
  METHODS,
  StoredWorkspaceSpec,
  WorkspaceChanges,
  WorkspaceSpecInput,
  describeIssues,
} from '../../../protocol';

/** The message of a refused parse (fails when it parses). */
function refusal(parsed: { success: boolean; error?: ZodError }): string {
  assert.ok(!parsed.success && parsed.error, 'expected the input to be refused');
  return describeIssues(parsed.error);
}

describe('protocol: limits of specs', () => {
  for (const field of ['idleTimeout', 'attachedGrace', 'maxLifetime'] as const) {
    it(`caps ${field} at a year, in create and update`, () => {
      assert.ok(WorkspaceSpecInput.safeParse({ name: 'x', [field]: MAX_DURATION_SECONDS }).success);
      const create = refusal(WorkspaceSpecInput.safeParse({ name: 'x', [field]: 1e13 }));
      assert.match(create, new RegExp(`^${field}: must be at most ${MAX_DURATION_SECONDS} seconds \\(365 days\\)`));
      assert.match(refusal(WorkspaceChanges.safeParse({ [field]: MAX_DURATION_SECONDS + 1 })), /at most/);
    });
  }

  it('caps a keepalive at a year', () => {
    const params = METHODS['workspace.keepalive'].params;
    assert.ok(params.safeParse({ name: 'x', seconds: 3600 }).success);
    assert.match(refusal(params.safeParse({ name: 'x', seconds: 1e13 })), /^seconds: must be at most/);
  });

  it('refuses a NUL in an env value or the startup command', () => {
    const env = refusal(WorkspaceSpecInput.safeParse({ name: 'x', env: { A: 'a\u0000b' } }));
    assert.match(env, /^env\.A: must not contain a NUL character/);
    const command = refusal(WorkspaceChanges.safeParse({ command: 'echo \u0000' }));
    assert.match(command, /^command: must not contain a NUL character/);
  });

  it("refuses fewer CPUs than Docker's smallest share of 0.01", () => {
    assert.ok(WorkspaceSpecInput.safeParse({ name: 'x', cpus: 0.01 }).success);
    assert.match(refusal(WorkspaceSpecInput.safeParse({ name: 'x', cpus: 0.001 })), /^cpus: must be at least 0\.01/);
    assert.match(refusal(WorkspaceChanges.safeParse({ cpus: 0.009 })), /^cpus: must be at least 0\.01/);
  });

  it('still reads a record stored before the limits, its durations cut to the cap', () => {
    const stored = StoredWorkspaceSpec.parse({
      name: 'old',
      image: 'Old//Image',
      cpus: 0.001,
      memory: 64 * 1024 * 1024,
      gpus: 0,
      env: { A: 'a\u0000b' },
      command: '',
      user: 'dev',
      idleTimeout: 1e13,
      maxLifetime: 60,
    });
    assert.equal(stored.idleTimeout, MAX_DURATION_SECONDS);
    assert.equal(stored.maxLifetime, 60);
    assert.equal(stored.image, 'Old//Image');
  });
});
