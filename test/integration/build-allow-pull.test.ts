import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliEnv, startBerth } from '../support/cli';
import { docker } from '../support/docker';
import { startTinyRegistry } from '../support/tiny-registry';
import { refusal } from '../support/refusal';
import { useAgent } from '../support/use-agent';

// `berth serve --allow-pull REGISTRY`: a base image the host lacks is pulled when its registry is
// on the list (here a loopback registry, which Docker 20.10 talks to over plain HTTP), refused
// without a request to the registry otherwise.

/** A one-file image (no shell), saved in Docker's legacy `docker save` format. */
function tinyImage(dir: string): Buffer {
  const tag = `berth-test-tiny-src:${process.pid}`;
  writeFileSync(path.join(dir, 'hello'), 'hello from the tiny registry\n');
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY hello /hello\n');
  docker('build', '-q', '-t', tag, dir);
  try {
    return execFileSync('docker', ['save', tag], { maxBuffer: 64 * 1024 * 1024 });
  } finally {
    docker('rmi', '-f', tag);
  }
}

for (const allowed of [true, false]) {
  describe(`builds: a base image from a loopback registry ${allowed ? 'on' : 'not on'} --allow-pull`, function () {
    this.timeout(240_000);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-allow-pull-'));
    let registry: Awaited<ReturnType<typeof startTinyRegistry>> | undefined;
    const agent = useAgent(async () => {
      registry = await startTinyRegistry(tinyImage(mkdtempSync(path.join(dir, 'src-'))), 'tiny', '1');
      return { args: allowed ? ['--allow-pull', `127.0.0.1:${registry.port}`] : [] };
    });
    after(async () => {
      if (registry) docker('rmi', '-f', `127.0.0.1:${registry.port}/tiny:1`);
      await registry?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it(allowed ? 'pulls it and builds' : 'refuses it, naming the flag, and never asks the registry', async () => {
      const port = registry?.port ?? 0;
      const context = mkdtempSync(path.join(dir, 'ctx-'));
      writeFileSync(
        path.join(context, 'Dockerfile'),
        `FROM berth-workspace:latest\nCOPY --from=127.0.0.1:${port}/tiny:1 /hello /opt/hello\n`,
      );
      const name = allowed ? 'pulled' : 'refused';
      const env = cliEnv(agent.url, agent.token('alice'));
      const run = startBerth(['create', name, '--build', context, '--memory', '256m', '--cpus', '0.5'], env);
      const { code } = await run.exited;
      const output = `${run.stdout()}${run.stderr()}`;
      if (allowed) {
        assert.equal(code, 0, output);
        assert.match(output, new RegExp(`Pulling 127\\.0\\.0\\.1:${port}/tiny:1 from 127\\.0\\.0\\.1:${port}`));
        const requests = registry?.requests.join(', ') ?? '';
        assert.match(requests, /(HEAD|GET) \/v2\/tiny\/manifests\/1\b/, requests);
        assert.match(requests, /GET \/v2\/tiny\/blobs\/sha256:/, requests);
        const env2 = cliEnv(agent.url, agent.token('alice'));
        const removed = startBerth(['rm', name, '--delete-data', '--now'], env2);
        await removed.exited;
      } else {
        assert.notEqual(code, 0);
        assert.match(output, /is not on this host, and the host's Docker would pull it/);
        assert.match(output, new RegExp(`berth serve --allow-pull 127\\.0\\.0\\.1:${port}`));
        assert.deepEqual(registry?.requests, [], "the host's Docker asked the registry");
      }
    });

    if (allowed) {
      it('pulls it for create --image, as progress, then checks it as any image (this one has no shell: refused, saying so)', async () => {
        const port = registry?.port ?? 0;
        const ref = `127.0.0.1:${port}/tiny:1`;
        docker('rmi', '-f', ref);
        const before = registry?.requests.length ?? 0;
        const env = cliEnv(agent.url, agent.token('alice'));
        const run = startBerth(['create', 'named', '--image', ref, '--memory', '256m', '--cpus', '0.5'], env);
        const { code } = await run.exited;
        const output = `${run.stdout()}${run.stderr()}`;
        assert.notEqual(code, 0, output);
        assert.match(output, new RegExp(`Pulling ${ref.replace(/\./g, '\\.')} from 127\\.0\\.0\\.1:${port}`));
        const requests = registry?.requests.slice(before).join(', ') ?? '';
        assert.match(requests, /(HEAD|GET) \/v2\/tiny\/manifests\/1\b/, requests);
        assert.equal(docker('image', 'inspect', '--format', '{{.Id}}', ref).startsWith('sha256:'), true);
        assert.match(run.stderr(), /image "127\.0\.0\.1:\d+\/tiny:1" has no \/bin\/sh/);
      });
    }

    if (allowed) {
      it('says the registry has no such tag, as image_not_found, and keeps no workspace', async () => {
        const ref = `127.0.0.1:${registry?.port ?? 0}/tiny:nope`;
        const client = await agent.connect(agent.token('alice'));
        const err = await refusal(
          client.request('workspace.create', { name: 'nope', image: ref, memory: 256 * 1024 ** 2 }),
        );
        assert.equal(err.code, 'image_not_found', err.message);
        assert.match(
          err.message,
          /^Docker could not pull 127\.0\.0\.1:\d+\/tiny:nope: .*; check the image's name and tag on 127\.0\.0\.1:\d+$/,
        );
        const { workspaces } = await client.request('workspace.list', {});
        assert.ok(!workspaces.some((ws) => ws.name === 'nope'), 'the failed create is rolled back');
      });
    }

    if (allowed) {
      it('restores a backup whose image the host lacks by pulling it before the home comes in', async () => {
        const ref = `127.0.0.1:${registry?.port ?? 0}/tiny:1`;
        const env = cliEnv(agent.url, agent.token('alice'));
        const client = await agent.connect(agent.token('alice'));
        await client.request('workspace.create', { name: 'kept', memory: 256 * 1024 ** 2, cpus: 0.5 });
        await client.request('workspace.stop', { name: 'kept' });
        await client.request('workspace.update', { name: 'kept', changes: { image: ref } });
        const file = path.join(dir, 'kept.berth');
        const backup = startBerth(['backup', 'kept', '-o', file], env);
        assert.equal((await backup.exited).code, 0, backup.stderr());
        docker('rmi', '-f', ref);
        const before = registry?.requests.length ?? 0;
        const restore = startBerth(['restore', file, '--name', 'back'], env);
        const { code } = await restore.exited;
        // Pulled, the home restored into it, then refused as the workspace comes up: this image has
        // no shell. Unpulled, the restore's first container would have had no image at all.
        assert.notEqual(code, 0, restore.stdout());
        assert.match(restore.stderr(), /image "127\.0\.0\.1:\d+\/tiny:1" has no \/bin\/sh/);
        const requests = registry?.requests.slice(before).join(', ') ?? '';
        assert.match(requests, /(HEAD|GET) \/v2\/tiny\/manifests\/1\b/, requests);
        const { workspaces } = await client.request('workspace.list', {});
        assert.ok(!workspaces.some((ws) => ws.name === 'back'), 'the failed restore is rolled back');
        await client.request('workspace.delete', { name: 'kept', deleteData: true });
      });
    }

    if (!allowed) {
      it('refuses create --image of it, naming the flag, and never asks the registry', async () => {
        const port = registry?.port ?? 0;
        const env = cliEnv(agent.url, agent.token('alice'));
        const run = startBerth(['create', 'named', '--image', `127.0.0.1:${port}/tiny:1`], env);
        const { code } = await run.exited;
        assert.notEqual(code, 0);
        assert.match(run.stderr(), /is not on this host; .*berth serve --allow-pull 127\.0\.0\.1:\d+\)?/);
        assert.deepEqual(registry?.requests, [], "the host's Docker asked the registry");
      });
    }
  });
}
