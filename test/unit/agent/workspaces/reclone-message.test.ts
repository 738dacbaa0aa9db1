import * as assert from 'node:assert/strict';
import { messageAfterReclone, withoutCloneFailure } from '../../../../agent/workspaces/clone';

const URL = 'https://example.com/team/app.git';
const CLONE = `the clone of ${URL} failed with exit code 128: fatal: repository not found; the lifecycle commands after it did not run`;
const NO_GPUS = 'started without GPUs (they are optional for it): 2 GPUs are held; none free';

// A re-clone that works ends the clone's failure, and only it: the message's other parts stay.
describe('agent: the message after a successful re-clone', () => {
  it('drops only the clone’s part, keeping “started without GPUs…”', () => {
    assert.deepEqual(messageAfterReclone({ message: `${NO_GPUS}; ${CLONE}`, failedStage: 'clone' }, URL), {
      message: NO_GPUS,
    });
    assert.deepEqual(messageAfterReclone({ message: CLONE, failedStage: 'clone' }, URL), { message: undefined });
    assert.equal(
      withoutCloneFailure(
        `${NO_GPUS}; the clone could not run: docker exec failed; the lifecycle commands after it did not run`,
        URL,
      ),
      NO_GPUS,
    );
  });

  it('clears a clone failure from before failedStage by its message, and leaves other records', () => {
    assert.deepEqual(messageAfterReclone({ message: `${NO_GPUS}; ${CLONE}` }, URL), { message: NO_GPUS });
    assert.deepEqual(messageAfterReclone({ message: CLONE }, URL), { message: undefined });
    assert.equal(messageAfterReclone({ message: NO_GPUS }, URL), null);
    assert.equal(messageAfterReclone({}, URL), null);
    assert.equal(
      messageAfterReclone({ message: 'postCreateCommand failed', failedStage: 'postCreateCommand' }, URL),
      null,
    );
    // A failed clone whose message is not the clone's words: all of it was the clone's.
    assert.deepEqual(messageAfterReclone({ message: 'odd', failedStage: 'clone' }, URL), { message: undefined });
  });
});
