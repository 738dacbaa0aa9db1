import * as assert from 'node:assert/strict';
import { ordinal, stateLabel } from '../../../../extension/wording/describe';
import { workspace } from '../../../support/builders';

describe('wording: workspace states', () => {
  it('writes ordinals as people read them', () => {
    assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111].map(ordinal), [
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '23rd',
      '101st',
      '111th',
    ]);
  });

  it('says what a queued workspace waits for and its place in the queue', () => {
    const queued = workspace('train', { state: 'creating', gpuQueue: { position: 1, gpus: 4 } }, { gpus: 4 });
    assert.equal(stateLabel(queued), 'waiting for 4 GPUs · 1st in queue');
    const one = workspace('small', { state: 'starting', gpuQueue: { position: 3, gpus: 1 } }, { gpus: 1 });
    assert.equal(stateLabel(one), 'waiting for 1 GPU · 3rd in queue');
  });

  it('shows the state itself once it left the queue', () => {
    assert.equal(stateLabel(workspace('train', { state: 'creating' }, { gpus: 4 })), 'creating');
  });
});
