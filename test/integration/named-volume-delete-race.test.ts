import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { dockerClient } from '../../agent/runtime/docker-client';
import { ensureNamedVolumes, namedVolumeName, removeNamedVolume } from '../../agent/runtime/named-volumes';
import { record } from '../support/builders';
import { dockerExists } from '../support/docker';
import { refusal } from '../support/refusal';

// A bring-up that mounts a named volume while `volume.delete` removes it would otherwise see it
// still there, and its container would then get an unlabelled volume Docker makes in its place.

describe('named volumes: a bring-up during the volume delete', function () {
  this.timeout(60_000);
  const docker = dockerClient('/var/run/docker.sock');
  const agentId = randomBytes(8).toString('hex');
  const workspace = record('race', { owner: 'alice' }, { volumes: [{ name: 'data', target: '/data' }] });
  const volume = namedVolumeName(agentId, 'alice', 'data');
  after(() => void spawnSync('docker', ['volume', 'rm', '-f', volume], { stdio: 'ignore' }));

  it('is refused as conflict while the remove runs, and makes a labelled volume once it has ended', async () => {
    await ensureNamedVolumes(docker, agentId, workspace);
    assert.ok(dockerExists('volume', volume));
    const removed = removeNamedVolume(docker, agentId, 'alice', 'data');
    const refused = await refusal(ensureNamedVolumes(docker, agentId, workspace));
    assert.equal(refused.code, 'conflict');
    assert.match(refused.message, /alice's volume data is being deleted \(berth volumes rm\); try again/);
    assert.equal(await removed, volume);
    assert.equal(dockerExists('volume', volume), false, 'the volume was not removed');
    await ensureNamedVolumes(docker, agentId, workspace);
    const labels = JSON.parse(
      spawnSync('docker', ['volume', 'inspect', '--format', '{{json .Labels}}', volume], { encoding: 'utf8' }).stdout,
    ) as Record<string, string>;
    assert.equal(labels['dev.berth.owner'], 'alice');
    assert.equal(labels['dev.berth.volume'], 'data');
  });
});
