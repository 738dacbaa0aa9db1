import * as assert from 'node:assert/strict';
import {
  cgroupVersionOf,
  dockerInDockerSettings,
  dockerVolumeName,
  withoutUnknownCapability,
} from '../../../../agent/runtime/docker-in-docker';

describe('runtime: Docker-in-Docker settings', () => {
  it('asks for what the bounding set holds and drops exactly what it lacks', () => {
    const settings = dockerInDockerSettings('3fa29c01b2d4', 0x1fffeffffffn);
    assert.deepEqual(settings.CapDrop, ['SYS_RESOURCE']);
    assert.ok(settings.CapAdd.includes('SYS_ADMIN'));
    assert.equal(dockerVolumeName('3fa29c01b2d4'), 'berth-3fa29c01b2d4-docker');
  });

  it('on cgroup v1 (the default): the host cgroup namespace and the host /sys/fs/cgroup writable', () => {
    for (const settings of [
      dockerInDockerSettings('3fa29c01b2d4', 0n),
      dockerInDockerSettings('3fa29c01b2d4', 0n, '1'),
    ]) {
      assert.equal(settings.CgroupnsMode, 'host');
      assert.deepEqual(settings.Mounts, [
        { Type: 'volume', Source: 'berth-3fa29c01b2d4-docker', Target: '/var/lib/docker' },
        { Type: 'bind', Source: '/sys/fs/cgroup', Target: '/sys/fs/cgroup', ReadOnly: false },
      ]);
    }
  });

  it('on cgroup v2: a private cgroup namespace and no bind of the host /sys/fs/cgroup, the rest as on v1', () => {
    const v2 = dockerInDockerSettings('3fa29c01b2d4', 0x1fffeffffffn, '2');
    const v1 = dockerInDockerSettings('3fa29c01b2d4', 0x1fffeffffffn, '1');
    assert.equal(v2.CgroupnsMode, 'private');
    assert.deepEqual(v2.Mounts, [{ Type: 'volume', Source: 'berth-3fa29c01b2d4-docker', Target: '/var/lib/docker' }]);
    assert.deepEqual([v2.CapAdd, v2.CapDrop, v2.SecurityOpt], [v1.CapAdd, v1.CapDrop, v1.SecurityOpt]);
  });

  it("reads the host's cgroup version from Docker's info: 2 only when it says so", () => {
    assert.equal(cgroupVersionOf({ CgroupVersion: '2' }), '2');
    for (const info of [{ CgroupVersion: '1' }, {}, { CgroupVersion: 2 }, { CgroupVersion: 'two' }]) {
      assert.equal(cgroupVersionOf(info), '1');
    }
  });

  it('leaves out a capability the engine does not know, from the list it was in, and nothing else', () => {
    const options = { Image: 'x', HostConfig: { CapAdd: ['SYS_ADMIN', 'PERFMON'], CapDrop: ['SYS_RESOURCE'] } };
    const retry = withoutUnknownCapability(
      options,
      'Docker could not create: invalid CapAdd: unknown capability: "CAP_PERFMON"',
    );
    assert.deepEqual(retry?.HostConfig, { CapAdd: ['SYS_ADMIN'], CapDrop: ['SYS_RESOURCE'] });
    assert.equal(withoutUnknownCapability(options, 'unknown capability: "CAP_BPF"'), null);
    assert.equal(withoutUnknownCapability(options, 'no such image'), null);
  });
});
