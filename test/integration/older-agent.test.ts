import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { AgentClient } from '../../client/agent-client';
import { HASH_ALONGSIDE_BYTES } from '../../client/build-send';
import { execInWorkspace } from '../../client/exec';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { olderBerth, olderCommitMissing } from '../support/older-agent';
import { useAgent } from '../support/use-agent';

/**
 * The agent of the stop before binary input (2d87602, 2026-12-02): it takes a restore's file only as
 * base64 in stdin frames, and answers a binary frame outside a build with an error.
 */
const BEFORE_BINARY_INPUT = '2d87602';

/** What `command` prints in workspace `name` (exit code 0 asserted). */
async function run(client: AgentClient, name: string, command: string): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const code = await execInWorkspace(client, { name }, ['sh', '-c', command], {
    stdout: out,
    stderr: out,
    stdin: null,
  });
  assert.equal(code, 0, Buffer.concat(chunks).toString());
  return Buffer.concat(chunks).toString();
}

describe('compatibility: this client against the agent of an earlier stop', function () {
  this.timeout(300_000);
  let older: ReturnType<typeof olderBerth> | null = null;
  before(function () {
    const missing = olderCommitMissing(BEFORE_BINARY_INPUT);
    if (missing) {
      console.warn(`      skipped: ${missing}`);
      this.skip();
    }
    older = olderBerth(BEFORE_BINARY_INPUT);
  });
  const agent = useAgent(() => ({ berth: older!.berth }));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-older-backup-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    older?.remove();
  });

  it('backs up and restores there: the file goes as base64 to an agent that names no binary-input', async () => {
    const alice = await agent.connect(agent.token('alice'));
    assert.equal(alice.welcome.features, undefined, 'the older agent names features');
    await alice.request('workspace.create', { name: 'web', cpus: 0.5, memory: 256 * 1024 ** 2 });
    const marker = randomBytes(8).toString('hex');
    await run(
      alice,
      'web',
      `echo ${marker} > ~/kept.txt && head -c 3M /dev/urandom > ~/blob && sha256sum ~/blob > ~/blob.sum`,
    );
    const env = cliEnv(agent.url, agent.token('alice'));
    const file = path.join(dir, 'web.berth');
    const backup = berth(['backup', 'web', '-o', file], env);
    assert.equal(backup.code, 0, backup.stderr);
    const restore = berth(['restore', file, '--name', 'copy'], env);
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal((await run(alice, 'copy', 'cat ~/kept.txt')).trim(), marker);
    assert.match(await run(alice, 'copy', 'cd / && sha256sum -c ~/blob.sum'), /OK/);
  });

  it('builds there: a big first build is hashed first and sent as base64 to an agent without build-hash-last', async () => {
    const context = mkdtempSync(path.join(dir, 'ctx-'));
    // Over what is otherwise sent while hashed (client/build-send.ts HASH_ALONGSIDE_BYTES).
    writeFileSync(path.join(context, 'blob'), randomBytes(HASH_ALONGSIDE_BYTES + 1024 * 1024));
    writeFileSync(path.join(context, 'Dockerfile'), 'FROM berth-workspace:latest\nCOPY blob /blob\n');
    const env = cliEnv(agent.url, agent.token('alice'));
    const create = berth(['create', 'built', '--build', context, '--memory', '256m', '--cpus', '0.5'], env);
    assert.equal(create.code, 0, create.stderr);
    const alice = await agent.connect(agent.token('alice'));
    const sum = createHash('sha256')
      .update(readFileSync(path.join(context, 'blob')))
      .digest('hex');
    assert.equal((await run(alice, 'built', 'sha256sum /blob')).split(' ')[0], sum);
    const again = berth(['create', 'again', '--build', context, '--memory', '256m', '--cpus', '0.5'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /built before from the same files; reused/);
  });
});
