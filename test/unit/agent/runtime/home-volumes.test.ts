import * as assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { homeVolumes } from '../../../../agent/runtime/home-volumes';

const volume = (name: string, labels: Record<string, string>, createdAt?: string) =>
  ({ Name: name, Labels: labels, CreatedAt: createdAt }) as unknown as Docker.VolumeInspectInfo;

describe('runtime: home volumes from Docker’s listing', () => {
  it('reads id, owner, name and creation time of a home Berth made', () => {
    const labels = { 'dev.berth.workspace': '3fa29c01b2d4', 'dev.berth.owner': 'alice', 'dev.berth.name': 'web' };
    assert.deepEqual(homeVolumes([volume('berth-3fa29c01b2d4-home', labels, '2026-12-01T10:00:00Z')]), [
      {
        name: 'berth-3fa29c01b2d4-home',
        id: '3fa29c01b2d4',
        owner: 'alice',
        madeFor: 'web',
        createdAt: '2026-12-01T10:00:00.000Z',
      },
    ]);
  });

  it('skips volumes whose name and workspace label disagree, or whose label is no id', () => {
    const listed = homeVolumes([
      volume('berth-3fa29c01b2d4-home', { 'dev.berth.workspace': '000000000000' }),
      volume('other', { 'dev.berth.workspace': '3fa29c01b2d4' }),
      volume('berth-../x-home', { 'dev.berth.workspace': '../x' }),
      volume('berth-3fa29c01b2d4-home', {}),
    ]);
    assert.deepEqual(listed, []);
  });

  it('leaves the owner undefined on a volume made without the label, and a bad time out', () => {
    const [home] = homeVolumes([volume('berth-3fa29c01b2d4-home', { 'dev.berth.workspace': '3fa29c01b2d4' }, 'x')]);
    assert.equal(home?.owner, undefined);
    assert.equal(home?.createdAt, undefined);
  });
});
