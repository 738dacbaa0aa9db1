import * as assert from 'node:assert/strict';
import {
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
