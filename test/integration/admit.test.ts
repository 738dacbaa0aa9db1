import * as assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import type { AgentClient } from '../../client/agent-client';
import { streamRequest } from '../../client/stream';
import { fakeGpuEnv } from '../support/fake-gpus';
import { RecordingDockerProxy } from '../support/recording-proxy';
import { useAgent } from '../support/use-agent';
import { refusal } from '../support/refusal';

// `workspace.admit`: whether a host would take a workspace now, by the rules a create checks, and
// with GPUs free now (not merely on the host) — what `berth move` asks the target before any byte
// moves. A real agent and Docker; four fake GPUs (test/support/gpu-fixtures/plain.json) through the
// recording proxy, which drops the device requests so GPU workspaces run on a machine without them.

const SMALL = { memory: 256 * 1024 ** 2, cpus: 0.5 };
const GiB = 1024 ** 3;

describe('agent: workspace.admit answers as a create would, with GPUs free now, and holds nothing', function () {
  this.timeout(240_000);
  let proxy: RecordingDockerProxy;
  let alice: AgentClient;
  let bob: AgentClient;
  let admin: AgentClient;

  before(async () => {
    proxy = await RecordingDockerProxy.start();
  });
  const agent = useAgent(() => ({ args: ['--docker-socket', proxy.socketPath], env: fakeGpuEnv('plain') }));
  before(async () => {
    alice = await agent.connect(agent.token('alice'));
    bob = await agent.connect(agent.token('bob'));
    admin = await agent.connect(agent.token('root-admin', true));
  });
  after(async () => {
    await proxy?.close();
  });

  it('admits a workspace the host can take, naming the SSH port a create would get, and holds none of it', async () => {
    const { sshPort } = await alice.request('workspace.admit', { spec: { name: 'probe', ...SMALL } });
    // Asked twice, the same port: the first answer reserved nothing.
    assert.equal((await alice.request('workspace.admit', { spec: { name: 'probe', ...SMALL } })).sshPort, sshPort);
    const { workspace } = await alice.request('workspace.create', { name: 'probe', ...SMALL });
    assert.equal(workspace.ssh.port, sshPort);
    assert.equal((await alice.request('host.info', {})).gpus.filter((gpu) => gpu.free === 1).length, 4);
  });

  it('refuses a name the caller already uses, but not one only another user has', async () => {
    const taken = await refusal(alice.request('workspace.admit', { spec: { name: 'probe', ...SMALL } }));
    assert.equal(taken.code, 'already_exists');
    assert.match(taken.message, /you already have a workspace called "probe"/);
    await bob.request('workspace.admit', { spec: { name: 'probe', ...SMALL } });
  });

  it('refuses GPUs that are on the host but held now, naming the holders as a start would', async () => {
    await bob.request('workspace.create', { name: 'h100s', gpus: 2, gpuModel: 'H100', ...SMALL });
    const busy = await refusal(alice.request('workspace.admit', { spec: { name: 'm', gpus: 1, gpuModel: 'H100' } }));
    assert.equal(busy.code, 'no_capacity');
    assert.match(
      busy.message,
      /no 1 GPU matching "H100" free \(0 of 2 free; held by 1 workspace of other users\); stop one, or try again once some are free$/,
    );
    // GPUs it may go without: a start there would run it without them, so nothing refuses it.
    await alice.request('workspace.admit', { spec: { name: 'm', gpus: 1, gpuModel: 'H100', gpusOptional: true } });
    // Two others are free: admitted, and still free afterwards.
    await alice.request('workspace.admit', { spec: { name: 'm', gpus: 2, ...SMALL } });
    assert.equal((await alice.request('host.info', {})).gpus.filter((gpu) => gpu.free === 1).length, 2);
  });

  it("refuses more GPUs than the host has, or than the caller's quota leaves", async () => {
    const impossible = await refusal(alice.request('workspace.admit', { spec: { name: 'm', gpus: 5 } }));
    assert.equal(impossible.code, 'no_capacity');
    await admin.request('user.setQuota', { user: 'alice', gpus: 1 });
    const over = await refusal(alice.request('workspace.admit', { spec: { name: 'm', gpus: 2, ...SMALL } }));
    assert.equal(over.code, 'forbidden');
    assert.match(over.message, /GPU quota of alice is 1: 0 held, 2 more asked for/);
    await admin.request('user.setQuota', { user: 'alice', gpus: null });
  });

  it('refuses a home that would take the caller past the disk quota, and one under it is admitted', async () => {
    await admin.request('user.setQuota', { user: 'alice', disk: 1 * GiB });
    const big = await refusal(alice.request('workspace.admit', { spec: { name: 'm', ...SMALL }, homeBytes: 2 * GiB }));
    assert.equal(big.code, 'no_capacity');
    assert.match(big.message, /a home of 2 GiB would take alice.s disk use past the 1 GiB quota/);
    await alice.request('workspace.admit', { spec: { name: 'm', ...SMALL }, homeBytes: 1024 });
    await admin.request('user.setQuota', { user: 'alice', disk: null });
  });

  it('refuses what a create refuses: an absent image, a secret the caller has not set, Docker inside where it is off', async () => {
    const image = await refusal(alice.request('workspace.admit', { spec: { name: 'm', image: 'berth-absent:1' } }));
    assert.equal(image.code, 'image_not_found');
    const secret = await refusal(
      alice.request('workspace.admit', { spec: { name: 'm', secrets: [{ key: 'TOKEN', env: 'TOKEN' }] } }),
    );
    assert.equal(secret.code, 'not_found');
    assert.match(secret.message, /secret TOKEN is not set/);
    const docker = await refusal(alice.request('workspace.admit', { spec: { name: 'm', docker: true } }));
    assert.equal(docker.code, 'forbidden');
    assert.match(docker.message, /this host does not allow Docker inside workspaces/);
  });

  it('a restore whose GPUs are all held is refused as soon as the definition is in, before the home', async () => {
    await alice.request('workspace.create', { name: 'gpu1', gpus: 1, ...SMALL });
    const chunks: Buffer[] = [];
    const stdout = new PassThrough().on('data', (chunk: Buffer) => chunks.push(chunk));
    await streamRequest(
      alice,
      'workspace.backup',
      { name: 'gpu1', live: true },
      { stdout, stderr: new PassThrough(), stdin: null },
    );
    await bob.request('workspace.create', { name: 'last-gpu', gpus: 1, ...SMALL });
    assert.equal((await alice.request('host.info', {})).gpus.filter((gpu) => gpu.free === 1).length, 0);
    // Cut short: a restore that read on would refuse it as truncated; the GPUs refuse it first.
    const whole = Buffer.concat(chunks);
    const stdin = Readable.from([whole.subarray(0, whole.length - 1024)]).pause();
    const err = await refusal(
      streamRequest(
        alice,
        'workspace.restore',
        { name: 'gpu2' },
        { stdout: new PassThrough(), stderr: new PassThrough(), stdin },
      ),
    );
    assert.equal(err.code, 'no_capacity', err.message);
    assert.match(
      err.message,
      /no 1 GPU free \(0 of 4 free; held by your workspace gpu1 and 2 workspaces of other users\)/,
    );
    assert.deepEqual((await alice.request('workspace.list', {})).workspaces.map((ws) => ws.name).sort(), [
      'gpu1',
      'probe',
    ]);
  });
});
