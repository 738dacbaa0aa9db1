import * as assert from 'node:assert/strict';
import { folderSizeLabel, memoryLabel } from '../../../../extension/wording/sizes';

describe('extension: sizes as people read them', () => {
  it('shows memory in MiB and GiB', () => {
    assert.equal(memoryLabel(512 * 1024 ** 2), '512 MiB');
    assert.equal(memoryLabel(4 * 1024 ** 3), '4 GiB');
  });

  it('shows a small build folder in KiB, never as 0 MiB', () => {
    assert.equal(folderSizeLabel(0), '0 KiB');
    assert.equal(folderSizeLabel(1), '1 KiB');
    assert.equal(folderSizeLabel(10_240), '10 KiB');
    assert.equal(folderSizeLabel(1024 ** 2 - 1), '1024 KiB');
    assert.equal(folderSizeLabel(3 * 1024 ** 2), '3 MiB');
  });
});
