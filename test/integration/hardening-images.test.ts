import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import { DockerRuntime } from '../../agent/runtime/docker';
import { AgentProcess, BERTH, freePort } from '../support/agent-process';
import { requireDocker } from '../support/docker';

/** A loopback TCP listener that records every connection it gets (and answers none). */
async function listener(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// Docker answers image paths it cleans ("a/../b", "a//b") with a 301; docker-modem used to follow
// it to the host and port its first segment names, with no error listener on the new request.
describe('hardening: image names never steer the agent’s requests', function () {
  this.timeout(120_000);
  let trap: Awaited<ReturnType<typeof listener>>;

  before(async () => {
    requireDocker();
    trap = await listener();
  });

  after(async () => {
    await trap?.close();
  });

  describe('the Docker runtime', () => {
    const runtime = new DockerRuntime('/var/run/docker.sock', 'hardening-images');

    it('follows no redirect for a name Docker cleans, and says so', async () => {
      for (const image of [`x/../../../127.0.0.1:${trap.port}/x`, `a/../127.0.0.1:${trap.port}/x`, 'a//b']) {
        await assert.rejects(runtime.imageExists(image), {
          code: 'runtime_error',
          message: /answered with a redirect .*which Berth never follows; check the name/,
        });
      }
      assert.equal(trap.connections(), 0, 'the agent connected to the address in the image name');
    });

    it('sends a name with "?" or "#" whole, as one path segment', async () => {
      // Unencoded, "?…" would start the request's query and "#…" its fragment: Docker would be asked
      // about another path, and the name it judged would not be the one given.
      for (const image of ['berth-workspace:latest?all=1', 'berth-workspace:latest#x']) {
        await assert.rejects(runtime.imageExists(image), {
          code: 'runtime_error',
          message: new RegExp(`${image.replace(/[?#]/, '\\$&')}: invalid reference format`),
        });
      }
      assert.equal(await runtime.imageExists('berth-workspace:latest'), true);
    });
  });

  describe('the agent', () => {
    let agent: AgentProcess;
    let client: AgentClient;

    before(async () => {
      agent = await AgentProcess.start();
      client = await agent.connect(agent.token('alice'));
    });

    after(async () => {
      client?.close();
      await agent?.destroy();
    });

    it('refuses a create whose image climbs out of the path, and keeps serving', async () => {
      await assert.rejects(
        client.request('workspace.create', { name: 'climb', image: `x/../../../127.0.0.1:${trap.port}/x` }),
        {
          code: 'invalid_params',
          message: /^image: "\." and "\.\." are not path components of an image; an image reference is/,
        },
      );
      assert.equal(trap.connections(), 0);
      assert.ok(agent.alive);
      assert.deepEqual(await client.request('workspace.list', {}), { workspaces: [] });
    });

    it('refuses an update to an image with an empty path component', async () => {
      await client.request('workspace.create', { name: 'web' });
      await assert.rejects(client.request('workspace.update', { name: 'web', changes: { image: 'a//b' } }), {
        code: 'invalid_params',
        message: /^changes\.image: has an empty path component/,
      });
      assert.ok(agent.alive);
      const { workspace } = await client.request('workspace.get', { name: 'web' });
      assert.equal(workspace.spec.image, 'berth-workspace:latest');
    });

    it('refuses `berth serve --image` outside the grammar before starting', async () => {
      const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-serve-image-'));
      const args = [
        'serve',
        '--image',
        'Upper/../x',
        '--state-dir',
        stateDir,
        '--listen',
        `127.0.0.1:${await freePort()}`,
      ];
      const result = spawnSync(process.execPath, [BERTH, ...args], {
        encoding: 'utf8',
        timeout: 30_000,
        killSignal: 'SIGKILL',
      });
      await fs.rm(stateDir, { recursive: true, force: true });
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /--image Upper\/\.\.\/x: "\." and "\.\." are not path components/);
    });
  });
});
