import * as assert from 'node:assert/strict';
import { describeNamedVolume, volumeDeleteRefusal, volumeUsers } from '../../../../agent/workspaces/named-volumes';
import { record } from '../../../support/builders';

const records = [
  record('web', { owner: 'alice' }, { volumes: [{ name: 'data', target: '/data' }] }),
  record(
    'api',
    { owner: 'alice', state: 'stopped', archivedAt: '2026-12-01T00:00:00.000Z' },
    {
      volumes: [{ name: 'data', target: '/srv' }],
    },
  ),
  record('other', { owner: 'alice' }, { volumes: [{ name: 'cache', target: '/cache' }] }),
  record('bobs', { owner: 'bob' }, { volumes: [{ name: 'data', target: '/data' }] }),
  record('bind', { owner: 'alice' }, { volumes: [{ bind: '/srv/data', target: '/data' }] }),
];

describe('named volumes: who uses one, who may delete one', () => {
  it("names the owner's workspaces whose spec names the volume, archived ones included, and no one else's", () => {
    assert.deepEqual(volumeUsers(records, 'alice', 'data'), ['api', 'web']);
    assert.deepEqual(volumeUsers(records, 'bob', 'data'), ['bobs']);
    assert.deepEqual(volumeUsers(records, 'alice', 'unused'), []);
  });

  it('describes a volume with its Docker name, size, users and creation time (null when unknown)', () => {
    const info = { volume: 'berth-vol-x-alice.cache', name: 'cache', owner: 'alice', createdAt: undefined };
    assert.deepEqual(describeNamedVolume(info, records, 42), {
      name: 'cache',
      owner: 'alice',
      volume: 'berth-vol-x-alice.cache',
      bytes: 42,
      workspaces: ['other'],
      createdAt: null,
    });
  });

  it("lets a user delete their own, an admin anyone's, and refuses a user another's as forbidden", () => {
    assert.equal(volumeDeleteRefusal({ name: 'alice', admin: false }, 'alice'), null);
    assert.equal(volumeDeleteRefusal({ name: 'root', admin: true }, 'alice'), null);
    const refusal = volumeDeleteRefusal({ name: 'bob', admin: false }, 'alice');
    assert.equal(refusal?.code, 'forbidden');
    assert.match(refusal?.message ?? '', /not yours/);
  });
});
