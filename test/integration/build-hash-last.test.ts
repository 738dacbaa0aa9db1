import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import * as tarStream from 'tar-stream';
import { buildImage } from '../../client/build';
import { HASH_ALONGSIDE_BYTES } from '../../client/build-send';
import type { BerthError } from '../../protocol';
import { docker } from '../support/docker';
import { useAgent } from '../support/use-agent';
import { refusal } from '../support/refusal';

/** Every image, tagged or not, labelled as `owner`'s build on agent `agentId` (builder.ts BUILD_LABEL). */
const labelled = (agentId: string, owner: string) =>
  docker('images', '-a', '-q', '--no-trunc', '--filter', `label=dev.berth.build=${agentId} ${owner}`)
    .split('\n')
    .filter(Boolean)
    .sort();

/** The id of a local image. */
const imageIdOf = (image: string) => docker('image', 'inspect', '-f', '{{.Id}}', image).trim();

/** The image ids tagged with this agent's id (its builds). */
const builds = (agentId: string) =>
  docker('images', '--no-trunc', '--format', '{{.ID}} {{.Tag}}')
    .split('\n')
    .filter((line) => line.endsWith(` ${agentId}`))
    .map((line) => line.split(' ')[0] ?? '')
    .sort();

describe('builds on the host: a first build sent while it is hashed (build-hash-last)', function () {
  this.timeout(300_000);
  const agent = useAgent();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-hash-last-'));
  let client: AgentClient;
  let agentId = '';

  before(async () => {
    // Bigger than what is hashed first, so that the client sends it while hashing.
    writeFileSync(path.join(dir, 'blob'), randomBytes(HASH_ALONGSIDE_BYTES + 1024 * 1024));
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM berth-workspace:latest\nCOPY blob /blob\n');
    client = await agent.connect(agent.token('dana'));
    agentId = readFileSync(path.join(agent.stateDir, 'agent-id'), 'utf8').trim();
    assert.ok(client.welcome.features?.includes('build-hash-last'), 'the agent names build-hash-last');
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
    const ids = agentId ? builds(agentId) : [];
    if (ids.length) docker('rmi', '-f', ...new Set(ids));
  });

  it('builds, and the same folder with no digests known is answered from the build it has: uploaded, never built', async () => {
    const first = await buildImage(client, { contextDir: dir, digests: null });
    assert.equal(first.cached, false);
    assert.match(first.build.hash, /^[0-9a-f]{64}$/);
    assert.equal(first.image, `berth-build/dana-${first.build.hash}:${agentId}`);
    const before = builds(agentId);
    assert.deepEqual(labelled(agentId, 'dana'), [imageIdOf(first.image)]);

    const phases: string[] = [];
    const log: string[] = [];
    const again = await buildImage(
      client,
      { contextDir: dir, digests: null },
      { onLog: (text) => log.push(text), onProgress: (p) => phases.push(p.phase) },
    );
    assert.deepEqual(again, { ...first, cached: true });
    // The upload began before the hash was known (no probe first), and Docker built nothing.
    assert.ok(phases.includes('uploading'), `phases: ${phases.join(' ')}`);
    assert.ok(!phases.includes('building'), `phases: ${phases.join(' ')}`);
    assert.deepEqual(log, []);
    assert.deepEqual(builds(agentId), before);
    assert.deepEqual(labelled(agentId, 'dana'), [imageIdOf(first.image)], 'an untagged image was built');
    firstBuild = first;
  });
  let firstBuild: Awaited<ReturnType<typeof buildImage>> | null = null;

  /** Sends `tar`, then `after` (what should be the hash), then the end, as a hashLast build of `size`. */
  async function hashLast(size: number, tar: Buffer, after: Buffer): Promise<BerthError> {
    return refusal(sendHashLast(size, tar, after));
  }

  /** The same, answered: the reply of the build. */
  async function sendHashLast(size: number, tar: Buffer, after: Buffer) {
    let id = -1;
    const unsubscribe = client.onEvent((event) => {
      if (event.event !== 'image.build.progress' || event.data.requestId !== id || event.data.bytes !== 0) return;
      client.sendBytes(id, tar);
      if (after.length) client.sendBytes(id, after);
      client.sendInput(id, null, true);
    });
    try {
      return await client.request('image.build', { size, hashLast: true }, { onSent: (requestId) => (id = requestId) });
    } finally {
      unsubscribe();
    }
  }

  // A real tar (one file), which Docker would build from were the trailer not refused first.
  let tar = Buffer.alloc(0);
  before(async () => {
    const pack = tarStream.pack();
    pack.entry({ name: 'Dockerfile', mode: 0o644 }, 'FROM berth-workspace:latest\n');
    pack.finalize();
    const parts: Buffer[] = [];
    for await (const part of pack) parts.push(part as Buffer);
    tar = Buffer.concat(parts);
  });

  it('cancelling while it is sent and hashed says cancelled, and leaves no image', async () => {
    writeFileSync(path.join(dir, 'nonce'), randomBytes(16).toString('hex'));
    const before = labelled(agentId, 'dana');
    const stop = new AbortController();
    const err = await refusal(
      buildImage(
        client,
        { contextDir: dir, digests: null },
        { signal: stop.signal, onProgress: (p) => p.phase === 'uploading' && p.bytes > 0 && stop.abort() },
      ),
    );
    assert.equal(err.code, 'cancelled', err.message);
    assert.deepEqual(labelled(agentId, 'dana'), before);
  });

  it("answers from the trailer alone: a hash it has built is cached, Docker never starts; a new one is built and tagged by Docker's own image id", async () => {
    assert.ok(firstBuild, 'the first test built');
    const before = labelled(agentId, 'dana');
    const known = await sendHashLast(tar.length, tar, Buffer.from(firstBuild.build.hash));
    assert.deepEqual(known, { image: firstBuild.image, cached: true });
    assert.deepEqual(labelled(agentId, 'dana'), before);

    const fresh = randomBytes(32).toString('hex');
    const built = await sendHashLast(tar.length, tar, Buffer.from(fresh));
    assert.deepEqual(built, { image: `berth-build/dana-${fresh}:${agentId}`, cached: false });
    assert.equal(labelled(agentId, 'dana').length, before.length + 1);
    assert.ok(labelled(agentId, 'dana').includes(imageIdOf(built.image)));
  });

  it('refuses a hash that is not 64 lowercase hex digits, building nothing', async () => {
    const before = labelled(agentId, 'dana');
    const err = await hashLast(tar.length, tar, Buffer.from('Z'.repeat(64)));
    assert.equal(err.code, 'invalid_params');
    assert.match(err.message, /then the build's hash in lowercase hex, then the end/);
    assert.deepEqual(labelled(agentId, 'dana'), before);
  });

  it('refuses more after the hash than the hash', async () => {
    const err = await hashLast(tar.length, tar, Buffer.from('a'.repeat(65)));
    assert.equal(err.code, 'invalid_params');
    assert.match(err.message, /more came after the build's hash than its 64 hex digits/);
  });

  it('refuses a context that ends before its announced size', async () => {
    const err = await hashLast(tar.length, tar.subarray(0, tar.length - 512), Buffer.alloc(0));
    assert.equal(err.code, 'invalid_params');
    assert.match(
      err.message,
      new RegExp(`ended after ${tar.length - 512} of its ${tar.length} bytes and 0 of the hash's 64`),
    );
  });

  it('refuses both a hash and hashLast, and a probe without a hash', async () => {
    const both = await refusal(client.request('image.build', { size: 1024, hash: 'a'.repeat(64), hashLast: true }));
    assert.equal(both.code, 'invalid_params');
    assert.match(both.message, /either hash .* or hashLast/);
    const probe = await refusal(client.request('image.build', { size: 1024, hashLast: true, probe: true }));
    assert.match(probe.message, /a probe needs the hash/);
  });
});
