import * as assert from 'node:assert/strict';
import { containerConfig } from '../../../../agent/runtime/container-config';
import { namedVolumeName } from '../../../../agent/runtime/named-volumes';
import { record } from '../../../support/builders';

const options = { agentId: '0123456789abcdef', network: 'berth' };
const plan = (owner: string, volumes: NonNullable<Parameters<typeof record>[2]>['volumes']) => ({
  record: record('web', { owner }, { volumes }),
  specHash: 'h',
  bootstrapDir: '/state/workspaces/x',
  gpuMode: 'nvidia' as const,
});

describe('runtime: named volumes and binds of a container', () => {
  it('names a named volume after its agent, owner and name, so two users’ "data" never meet', () => {
    assert.equal(namedVolumeName('0123456789abcdef', 'alice', 'data'), 'berth-vol-0123456789abcdef-alice.data');
    // A user name has no ".": "a-b"'s "c" and "a"'s "b-c" stay apart.
    assert.notEqual(namedVolumeName('x', 'a-b', 'c'), namedVolumeName('x', 'a', 'b-c'));
    const mounts = (owner: string) =>
      containerConfig(plan(owner, [{ name: 'data', target: '/data' }]), options).HostConfig?.Mounts?.slice(2);
    assert.deepEqual(mounts('alice'), [
      { Type: 'volume', Source: 'berth-vol-0123456789abcdef-alice.data', Target: '/data', ReadOnly: false },
    ]);
    assert.notDeepEqual(mounts('bob'), mounts('alice'));
  });

  it('mounts binds as resolved, read-only as resolved, and tells the init which new volumes to give the user', () => {
    const p = {
      ...plan('alice', [
        { name: 'cache', target: '/cache' },
        { name: 'models', target: '/models', readOnly: true },
        { bind: '/srv/link', target: '/sets' },
      ]),
      binds: [{ source: '/srv/real', target: '/sets', readOnly: true }],
    };
    const created = containerConfig(p, options);
    assert.deepEqual(created.HostConfig?.Mounts?.slice(2), [
      { Type: 'volume', Source: 'berth-vol-0123456789abcdef-alice.cache', Target: '/cache', ReadOnly: false },
      { Type: 'volume', Source: 'berth-vol-0123456789abcdef-alice.models', Target: '/models', ReadOnly: true },
      { Type: 'bind', Source: '/srv/real', Target: '/sets', ReadOnly: true },
    ]);
    assert.ok(created.Env?.includes('BERTH_VOLUMES=/cache'), String(created.Env));
  });
});
