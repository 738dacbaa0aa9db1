import * as assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { namedVolumesOf } from '../../../../agent/runtime/named-volumes';
import { LABELS } from '../../../../agent/runtime/runtime';

const AGENT = '0123456789abcdef';
const listed = (name: string, labels: Record<string, string>, extra: Record<string, unknown> = {}) =>
  ({
    Name: name,
    Labels: labels,
    Driver: 'local',
    Mountpoint: '/x',
    Scope: 'local',
    ...extra,
  }) as Docker.VolumeInspectInfo;
const labels = (owner: string, name: string, agent = AGENT) => ({
  [LABELS.agent]: agent,
  [LABELS.owner]: owner,
  [LABELS.volume]: name,
});

describe('runtime: which Docker volumes are named volumes', () => {
  it('lists one whose name agrees with its agent, owner and name labels, with its creation time', () => {
    const found = namedVolumesOf(
      [listed(`berth-vol-${AGENT}-alice.data`, labels('alice', 'data'), { CreatedAt: '2026-12-01T10:00:00Z' })],
      AGENT,
    );
    assert.deepEqual(found, [
      { volume: `berth-vol-${AGENT}-alice.data`, name: 'data', owner: 'alice', createdAt: '2026-12-01T10:00:00.000Z' },
    ]);
  });

  it("leaves out another agent's, and one whose labels name another owner or volume than its name", () => {
    const found = namedVolumesOf(
      [
        listed(`berth-vol-ffffffffffffffff-alice.data`, labels('alice', 'data', 'ffffffffffffffff')),
        listed(`berth-vol-${AGENT}-alice.data`, labels('bob', 'data')),
        listed(`berth-vol-${AGENT}-alice.data`, labels('alice', 'other')),
        listed(`berth-vol-${AGENT}-bob.data`, { [LABELS.agent]: AGENT, [LABELS.volume]: 'data' }),
      ],
      AGENT,
    );
    assert.deepEqual(found, []);
  });

  it('leaves out one whose labels are no user name or volume name, and homes', () => {
    const found = namedVolumesOf(
      [
        listed(`berth-vol-${AGENT}-__proto__.data`, labels('__proto__', 'data')),
        listed(`berth-vol-${AGENT}-alice...`, labels('alice', '..')),
        listed('berth-3fa29c01b2d4-home', { [LABELS.agent]: AGENT, [LABELS.owner]: 'alice', [LABELS.workspace]: 'x' }),
      ],
      AGENT,
    );
    assert.deepEqual(found, []);
  });

  it('gives no creation time when the engine gives none, or none that parses', () => {
    const found = namedVolumesOf(
      [
        listed(`berth-vol-${AGENT}-alice.a`, labels('alice', 'a')),
        listed(`berth-vol-${AGENT}-alice.b`, labels('alice', 'b'), { CreatedAt: 'yesterday' }),
      ],
      AGENT,
    );
    assert.deepEqual(
      found.map((volume) => volume.createdAt),
      [undefined, undefined],
    );
  });
});
