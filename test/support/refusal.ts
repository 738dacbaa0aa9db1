import * as assert from 'node:assert/strict';
import { BerthError } from '../../protocol';

/**
 * The error the agent refused `promise` with; fails the test when it succeeds, and passes on any
 * error that is not a refusal (a BerthError), so that a broken connection is not taken for one.
 */
export async function refusal(promise: Promise<unknown>): Promise<BerthError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof BerthError) return err;
    throw err;
  }
  assert.fail('expected the agent to refuse, and it did not');
}
