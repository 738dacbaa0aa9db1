import * as assert from 'node:assert/strict';
import { HomeId, METHODS, homeIdFrom } from '../../../protocol';

describe('protocol: home ids', () => {
  it('takes 12 lowercase hex digits and nothing else', () => {
    assert.ok(HomeId.safeParse('3fa29c01b2d4').success);
    for (const bad of [
      '',
      '3FA29C01B2D4',
      '3fa29c01b2d',
      '3fa29c01b2d45',
      '../3fa29c01b2',
      'berth-3fa29c01b2d4-home',
    ]) {
      assert.ok(!HomeId.safeParse(bad).success, bad);
    }
  });

  it('reads an id, or the volume name older messages printed, from what a person typed', () => {
    assert.equal(homeIdFrom('3fa29c01b2d4'), '3fa29c01b2d4');
    assert.equal(homeIdFrom(' berth-3fa29c01b2d4-home '), '3fa29c01b2d4');
    assert.equal(homeIdFrom('berth-3fa29c01b2d4-home/..'), null);
    assert.equal(homeIdFrom('x;rm'), null);
  });

  it('validates the home of a create and of home.delete with the same schema', () => {
    assert.ok(METHODS['workspace.create'].params.safeParse({ name: 'web', home: '3fa29c01b2d4' }).success);
    assert.ok(!METHODS['workspace.create'].params.safeParse({ name: 'web', home: '../../x' }).success);
    assert.ok(!METHODS['home.delete'].params.safeParse({ id: '3fa29c01b2d4', force: true }).success);
    assert.ok(!METHODS['home.list'].params.safeParse({ user: 'bob' }).success);
  });
});
