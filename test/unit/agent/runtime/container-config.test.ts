import * as assert from 'node:assert/strict';
import { containerConfig } from '../../../../agent/runtime/container-config';
import { dockerInDockerSettings, dockerVolumeName } from '../../../../agent/runtime/docker-in-docker';
import { record } from '../../../support/builders';

const plan = (docker?: boolean) => {
  const workspace = record('web', {}, docker === undefined ? {} : { docker });
  return { record: workspace, specHash: 'h', bootstrapDir: '/state/workspaces/x', gpuMode: 'nvidia' as const };
};
const options = { agentId: 'a', network: 'berth' };

describe('runtime: container settings of a Docker-in-Docker workspace', () => {
  it('gives an ordinary workspace none of them: unprivileged, its capabilities cut, two mounts', () => {
    for (const docker of [undefined, false]) {
      const host = containerConfig(plan(docker), options).HostConfig ?? {};
      assert.equal(host.Privileged, false);
      assert.deepEqual(host.CapDrop, ['NET_RAW', 'MKNOD', 'SETPCAP']);
      assert.equal(host.CapAdd, undefined);
      assert.equal(host.SecurityOpt, undefined);
      assert.equal((host as { CgroupnsMode?: string }).CgroupnsMode, undefined);
      assert.deepEqual(
        host.Mounts?.map((m) => m.Target),
        ['/home/dev', '/.berth'],
      );
      assert.ok(!containerConfig(plan(docker), options).Env?.includes('BERTH_DOCKER=1'));
    }
  });

  it('asks for what the host grants, not Privileged; unconfined; host cgroups read-write; the data volume', () => {
    const created = containerConfig(plan(true), options);
    const host = created.HostConfig ?? {};
    const expected = dockerInDockerSettings(record('web').id);
    assert.equal(host.Privileged, false);
    assert.deepEqual(host.CapAdd, expected.CapAdd);
    assert.deepEqual(host.CapDrop, expected.CapDrop);
    assert.deepEqual(host.SecurityOpt, ['seccomp=unconfined', 'apparmor=unconfined']);
    assert.equal((host as { CgroupnsMode?: string }).CgroupnsMode, 'host');
    assert.deepEqual(host.Mounts?.slice(2), [
      { Type: 'volume', Source: dockerVolumeName(record('web').id), Target: '/var/lib/docker' },
      { Type: 'bind', Source: '/sys/fs/cgroup', Target: '/sys/fs/cgroup', ReadOnly: false },
    ]);
    assert.ok(created.Env?.includes('BERTH_DOCKER=1'));
    // Everything else stays as every workspace has it.
    assert.equal(host.Memory, record('web').spec.memory);
    assert.deepEqual(host.PortBindings, { '22/tcp': [{ HostIp: '127.0.0.1', HostPort: '2200' }] });
  });

  it('on a cgroup v2 host: a private cgroup namespace and no host /sys/fs/cgroup, ordinary workspaces untouched', () => {
    const host = containerConfig(plan(true), { ...options, cgroupVersion: '2' }).HostConfig ?? {};
    assert.equal((host as { CgroupnsMode?: string }).CgroupnsMode, 'private');
    assert.deepEqual(host.Mounts?.slice(2), [
      { Type: 'volume', Source: dockerVolumeName(record('web').id), Target: '/var/lib/docker' },
    ]);
    const plain = containerConfig(plan(false), { ...options, cgroupVersion: '2' }).HostConfig ?? {};
    assert.equal((plain as { CgroupnsMode?: string }).CgroupnsMode, undefined);
    assert.deepEqual(plain, containerConfig(plan(false), options).HostConfig);
  });
});
