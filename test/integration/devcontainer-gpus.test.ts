import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import { cliEnv, startBerth } from '../support/cli';
import { fakeGpuEnv } from '../support/fake-gpus';
import { RecordingDockerProxy } from '../support/recording-proxy';
import { useAgent } from '../support/use-agent';

/** Runs the CLI without blocking this process: the recording proxy in front of Docker lives here. */
async function berth(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startBerth(args, env);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** A `.devcontainer.json` asking for `gpu` (hostRequirements.gpu), in a folder of its own. */
async function definition(gpu: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-dc-gpu-'));
  await fs.writeFile(
    path.join(dir, '.devcontainer.json'),
    `{"image": "berth-workspace:latest", "hostRequirements": {"gpu": ${gpu}, "cpus": 0.25, "memory": "128mb"}}`,
  );
  return dir;
}

describe('devcontainer.json: hostRequirements.gpu against the allocator (fake nvidia-smi, four GPUs)', function () {
  this.timeout(240_000);
  let proxy: RecordingDockerProxy;
  let env: NodeJS.ProcessEnv;
  let client: AgentClient;
  before(async () => {
    proxy = await RecordingDockerProxy.start();
  });
  const agent = useAgent(() => ({ args: ['--docker-socket', proxy.socketPath], env: fakeGpuEnv('plain') }));
  before(async () => {
    const token = agent.token('alice');
    env = cliEnv(agent.url, token);
    client = await agent.connect(token);
  });
  after(async () => {
    await proxy?.close();
  });

  const gpusOf = async (name: string) => (await client.request('workspace.get', { name })).workspace;

  it('"optional" gets a GPU when one is free', async () => {
    const create = await berth(['create', 'opt-free', '--devcontainer', await definition('"optional"')], env);
    assert.equal(create.code, 0, create.stderr);
    const workspace = await gpusOf('opt-free');
    assert.equal(workspace.gpus?.length, 1);
    assert.equal(workspace.message, undefined);
    assert.equal((await berth(['rm', 'opt-free', '--delete-data', '--yes'], env)).code, 0);
  });

  it('true gets a GPU when one is free', async () => {
    const create = await berth(['create', 'req-free', '--devcontainer', await definition('true')], env);
    assert.equal(create.code, 0, create.stderr);
    assert.equal((await gpusOf('req-free')).gpus?.length, 1);
    assert.equal((await berth(['rm', 'req-free', '--delete-data', '--yes'], env)).code, 0);
  });

  describe('with every GPU held', () => {
    before(async () => {
      const hog = await berth(['create', 'hog', '--gpus', '4', '--cpus', '0.25', '--memory', '128m'], env);
      assert.equal(hog.code, 0, hog.stderr);
    });
    after(async () => {
      await berth(['rm', 'hog', '--delete-data', '--yes'], env);
    });

    it('"optional" starts without GPUs, and says so in the create output, the message and berth get', async () => {
      const create = await berth(['create', 'opt-none', '--devcontainer', await definition('"optional"')], env);
      assert.equal(create.code, 0, create.stderr);
      assert.match(create.stderr, /opt-none: started without GPUs \(they are optional for it\): /);
      const workspace = await gpusOf('opt-none');
      assert.equal(workspace.state, 'running');
      assert.equal(workspace.gpus, undefined);
      assert.match(workspace.message ?? '', /started without GPUs \(they are optional for it\)/);
      const env0 = proxy.createOf(workspace.id)?.body.Env ?? [];
      assert.ok(env0.includes('NVIDIA_VISIBLE_DEVICES=void'), env0.join(' '));
      const get = await berth(['get', 'opt-none'], env);
      assert.match(get.stdout, /GPUs held\s+none: none could be had at start, and they are optional/);
      assert.equal((await berth(['rm', 'opt-none', '--delete-data', '--yes'], env)).code, 0);
    });

    it('true is refused, naming the holder, and nothing is left', async () => {
      const create = await berth(['create', 'req-none', '--devcontainer', await definition('true')], env);
      assert.equal(create.code, 1);
      assert.match(create.stderr, /hog/);
      const { workspaces } = await client.request('workspace.list', {});
      assert.deepEqual(
        workspaces.map((ws) => ws.name),
        ['hog'],
      );
    });
  });
});
