import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { DockerRuntime } from '../../agent/runtime/docker';
import type { ContainerPlan } from '../../agent/runtime/runtime';
import { record } from '../support/builders';
import { docker, requireDocker } from '../support/docker';

const networkExists = (name: string) =>
  spawnSync('docker', ['network', 'inspect', name], { stdio: 'ignore' }).status === 0;
const removeNetwork = (name: string) => spawnSync('docker', ['network', 'rm', name], { stdio: 'ignore' });

/** A plan whose image is missing: the create gets as far as Docker's container create, and makes nothing. */
const plan = (name: string): ContainerPlan => ({
  record: record(name, {}, { image: 'berth-test-no-such-image:never' }),
  specHash: 'x',
  bootstrapDir: os.tmpdir(),
  gpuMode: 'nvidia',
});

// Each test uses a network of its own, so that the agents of other tests (on the shared "berth") are untouched.
describe('hardening: the network workspaces join', function () {
  this.timeout(60_000);
  const suffix = `${process.pid}-${Date.now().toString(36)}`;
  const missing = `berth-test-made-${suffix}`;
  const open = `berth-test-icc-${suffix}`;

  before(() => requireDocker());

  after(() => {
    removeNetwork(missing);
    removeNetwork(open);
  });

  it('is made when missing: a bridge with inter-container traffic off', async () => {
    assert.ok(!networkExists(missing));
    const runtime = new DockerRuntime('/var/run/docker.sock', 'hardening-network', { network: missing });
    await assert.rejects(runtime.createContainer(plan('made')), { code: 'image_not_found' });
    const [network] = JSON.parse(docker('network', 'inspect', missing)) as {
      Driver: string;
      Options: Record<string, string>;
    }[];
    assert.equal(network?.Driver, 'bridge');
    assert.equal(network?.Options['com.docker.network.bridge.enable_icc'], 'false');
  });

  it('is refused when it lets containers reach each other, saying how to fix it', async () => {
    docker('network', 'create', open);
    const runtime = new DockerRuntime('/var/run/docker.sock', 'hardening-network', { network: open });
    await assert.rejects(runtime.createContainer(plan('open')), {
      code: 'runtime_error',
      message: new RegExp(
        `^the Docker network "${open}" lets containers reach each other .*docker network rm ${open}\\) and Berth makes it again`,
      ),
    });
  });
});
