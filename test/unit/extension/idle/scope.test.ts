import * as assert from 'node:assert/strict';
import { shouldNotify } from '../../../../extension/idle/scope';

describe('extension idle: which windows show a warning', () => {
  const web = { hostId: 'lab', name: 'web', owner: 'alice' };
  const connectedToWeb = { hostId: 'lab', name: 'web' };

  it('shows it in the window connected to the workspace, whatever the setting', () => {
    assert.equal(shouldNotify(web, 'alice', connectedToWeb, 'connected'), true);
    assert.equal(shouldNotify(web, 'alice', connectedToWeb, 'owned'), true);
  });

  it('shows it in the owner’s other windows only with "owned"', () => {
    for (const address of [undefined, { hostId: 'lab', name: 'api' }, { hostId: 'other', name: 'web' }]) {
      assert.equal(shouldNotify(web, 'alice', address, 'owned'), true);
      assert.equal(shouldNotify(web, 'alice', address, 'connected'), false);
    }
  });

  it('never shows another user’s workspace (an admin hears their events too)', () => {
    assert.equal(shouldNotify(web, 'root-admin', undefined, 'owned'), false);
    assert.equal(shouldNotify(web, 'root-admin', connectedToWeb, 'owned'), false);
  });
});
