import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Reply } from '../../protocol';
import { AgentProcess, BERTH, freePort } from '../support/agent-process';
import { labelledWithName, requireDocker } from '../support/docker';
import { RawConnection } from '../support/raw-ws';

/** Asserts that `reply` is an invalid_params error and returns its message. */
function invalid(reply: Reply): string {
  assert.ok('error' in reply, `expected an error, got ${JSON.stringify(reply)}`);
  assert.equal(reply.error.code, 'invalid_params', reply.error.message);
  return reply.error.message;
}

// Values that used to pass the schema and fail deep inside: a date overflow ("Invalid time value",
// in create, start, activity and everyone's idle --dry-run), or runc refusing the container.
describe('hardening: spec values the agent refuses at the door', function () {
  this.timeout(120_000);
  let agent: AgentProcess;
  let raw: RawConnection;
  let nextId = 1;
  const request = (method: string, params: unknown) => raw.request(nextId++, method, params);

  before(async () => {
    requireDocker();
    agent = await AgentProcess.start();
    raw = await RawConnection.greeted(agent.url, agent.token('alice'));
  });

  after(async () => {
    raw?.close();
    await agent?.destroy();
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['an idle timeout of 1e13 s', { idleTimeout: 1e13 }, /^idleTimeout: must be at most 31536000 seconds \(365 days\)/],
    ['a max lifetime past a year', { maxLifetime: 31_536_001 }, /^maxLifetime: must be at most 31536000 seconds/],
    ['an attached grace of 1e13 s', { attachedGrace: 1e13 }, /^attachedGrace: must be at most/],
    ['a NUL in an env value', { env: { TOKEN: 'abc\u0000def' } }, /^env\.TOKEN: must not contain a NUL character/],
    ['a NUL in the startup command', { command: 'echo \u0000' }, /^command: must not contain a NUL character/],
    ['0.001 CPUs', { cpus: 0.001 }, /^cpus: must be at least 0\.01/],
  ];
  for (const [what, fields, message] of refused) {
    it(`refuses a create with ${what}, and makes nothing`, async () => {
      const name = `limits-${nextId}`;
      assert.match(invalid(await request('workspace.create', { name, ...fields })), message);
      assert.deepEqual(labelledWithName(name), { containers: [], volumes: [] });
    });
  }

  it('refuses a keepalive of 1e13 s', async () => {
    assert.match(
      invalid(await request('workspace.keepalive', { name: 'any', seconds: 1e13 })),
      /^seconds: must be at most/,
    );
  });

  it('refuses `berth serve --idle-timeout` past a year before starting', async () => {
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-serve-idle-'));
    const args = [
      'serve',
      '--idle-timeout',
      '400d',
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
    assert.match(result.stderr, /--idle-timeout: at most 31536000 seconds \(365d\)/);
  });

  it("still answers everyone's idle --dry-run", async () => {
    const reply = await request('idle.status', { dryRun: true });
    assert.ok('result' in reply, JSON.stringify(reply));
  });
});
