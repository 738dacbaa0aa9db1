import * as assert from 'node:assert/strict';
import type { HomeVolume } from '../../../../agent/runtime/runtime';
import { describeHome, homeRefusal } from '../../../../agent/workspaces/homes';
import type { Home } from '../../../../protocol';
import { record } from '../../../support/builders';

const NOW = '2026-12-02T12:00:00.000Z';
const vol = (owner: string | undefined): HomeVolume => ({
  name: 'berth-3fa29c01b2d4-home',
  id: '3fa29c01b2d4',
  owner,
  madeFor: 'web',
  createdAt: undefined,
});

describe('homes: how a home is described', () => {
  it('takes the owner from its label first', () => {
    assert.equal(describeHome(vol('alice'), undefined, { owner: 'bob', lastUsed: NOW }, 5, NOW).owner, 'alice');
  });

  it('without a label, from the record of the workspace using it, else from the kept-home ledger', () => {
    assert.equal(describeHome(vol(undefined), record('web', { owner: 'carol' }), undefined, null, NOW).owner, 'carol');
    assert.equal(describeHome(vol(undefined), undefined, { owner: 'bob', lastUsed: NOW }, null, NOW).owner, 'bob');
    assert.equal(describeHome(vol(undefined), undefined, undefined, null, NOW).owner, null);
  });

  it('counts a label that is no user name as none', () => {
    assert.equal(describeHome(vol('__proto__'), undefined, undefined, null, NOW).owner, null);
    assert.equal(describeHome(vol('a b'), undefined, undefined, null, NOW).owner, null);
  });

  it('is last used now while its workspace runs, at the later of activity and stop otherwise', () => {
    assert.equal(describeHome(vol('alice'), record('web'), undefined, null, NOW).lastUsed, NOW);
    const stopped = record('web', {
      state: 'stopped',
      since: '2026-12-01T09:00:00.000Z',
      lastActivity: { at: '2026-12-01T08:00:00.000Z', signal: 'attached' },
    });
    assert.equal(describeHome(vol('alice'), stopped, undefined, null, NOW).lastUsed, '2026-12-01T09:00:00.000Z');
  });

  it('is kept (no workspace) with the last use the ledger remembers, or unknown', () => {
    const kept = describeHome(
      vol('alice'),
      undefined,
      { owner: 'alice', lastUsed: '2026-11-30T00:00:00.000Z' },
      7,
      NOW,
    );
    assert.equal(kept.workspace, null);
    assert.equal(kept.lastUsed, '2026-11-30T00:00:00.000Z');
    assert.equal(kept.bytes, 7);
    assert.equal(describeHome(vol('alice'), undefined, undefined, null, NOW).lastUsed, null);
  });
});

describe('homes: who may reattach or delete a home', () => {
  const home = (owner: string | null): Home => ({
    ...describeHome(vol('alice'), undefined, undefined, null, NOW),
    owner,
  });
  const alice = { name: 'alice', admin: false };
  const bob = { name: 'bob', admin: false };
  const root = { name: 'root', admin: true };

  it('lets the owner do both', () => {
    assert.equal(homeRefusal(alice, home('alice'), 'reattach'), null);
    assert.equal(homeRefusal(alice, home('alice'), 'delete'), null);
  });

  it('refuses another user both, without naming the owner', () => {
    for (const act of ['reattach', 'delete'] as const) {
      const refusal = homeRefusal(bob, home('alice'), act);
      assert.equal(refusal?.code, 'forbidden');
      assert.doesNotMatch(refusal.message, /alice/);
    }
    assert.equal(homeRefusal(bob, home(null), 'delete')?.code, 'forbidden');
  });

  it("lets an admin delete anyone's home but reattach none but their own", () => {
    assert.equal(homeRefusal(root, home('alice'), 'delete'), null);
    assert.equal(homeRefusal(root, home(null), 'delete'), null);
    assert.match(homeRefusal(root, home('alice'), 'reattach')?.message ?? '', /belongs to alice/);
    assert.match(homeRefusal(root, home(null), 'reattach')?.message ?? '', /no known owner/);
  });
});
