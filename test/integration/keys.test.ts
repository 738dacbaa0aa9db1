import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import type { AgentClient } from '../../client/agent-client';
import { parsePublicKey } from '../../agent/public-keys';
import type { Workspace } from '../../protocol';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { sshKeyPair, sshRun } from '../support/ssh';
import { useAgent } from '../support/use-agent';

type Run = ReturnType<typeof berth>;

function succeeds(run: Run): string {
  assert.equal(run.code, 0, `exit code ${run.code}; stderr:\n${run.stderr}`);
  return run.stdout;
}

describe('agent: listing and removing SSH keys', function () {
  this.timeout(120_000);
  const agent = useAgent();
  let alice: AgentClient;
  let bob: AgentClient;
  let env: NodeJS.ProcessEnv;
  let workspace: Workspace;
  const leaked = sshKeyPair();
  const kept = sshKeyPair();

  before(async () => {
    const token = agent.token('alice');
    [alice, bob] = await Promise.all([agent.connect(token), agent.connect(agent.token('bob'))]);
    env = cliEnv(agent.url, token);
    await alice.request('user.addKey', { key: leaked.publicKey });
    await alice.request('user.addKey', { key: kept.publicKey });
    ({ workspace } = await alice.request('workspace.create', { name: 'notes', memory: 256 * 1024 ** 2, cpus: 0.5 }));
  });

  after(async () => {
    if (env?.HOME) await fs.rm(env.HOME, { recursive: true, force: true });
  });

  it('lists the keys with fingerprint, type, comment and when they were added', () => {
    const [header, ...rows] = succeeds(berth(['key', 'ls'], env))
      .trimEnd()
      .split('\n');
    assert.match(header ?? '', /^FINGERPRINT\s+TYPE\s+COMMENT\s+ADDED$/);
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.match(row, /^SHA256:\S+\s+ssh-ed25519\s+berth-test\s+\d{4}-\d\d-\d\d \d\d:\d\d \S+$/);
    }
  });

  it("refuses to list or remove another user's keys for a non-admin, as forbidden", async () => {
    await assert.rejects(bob.request('user.keys', { user: 'alice' }), {
      code: 'forbidden',
      message: /only an admin may list the keys of another user \(alice\)/,
    });
    const { keys } = await alice.request('user.keys', {});
    await assert.rejects(bob.request('user.removeKey', { user: 'alice', fingerprint: keys[0]?.fingerprint ?? '' }), {
      code: 'forbidden',
    });
    assert.equal((await alice.request('user.keys', {})).keys.length, 2);
  });

  it('shuts a removed key out of a running workspace at once, while the other key still gets in', async () => {
    assert.equal(sshRun(workspace, leaked.privateKey, 'true').code, 0, 'the key works before');
    const { fingerprint } = parsePublicKey(leaked.publicKey);
    const stdout = succeeds(berth(['key', 'rm', fingerprint], env));
    assert.match(stdout, new RegExp(`^Removed ${fingerprint.replace(/[+/]/g, '\\$&')} of alice \\(1 key left\\)`));
    const refused = sshRun(workspace, leaked.privateKey, 'true');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Permission denied/);
    const allowed = sshRun(workspace, kept.privateKey, 'whoami');
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal((await alice.request('workspace.get', { name: 'notes' })).workspace.state, 'running');
  });

  it('answers the removal of an unknown fingerprint with a clear not_found', () => {
    const run = berth(['key', 'rm', 'SHA256:nope'], env);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /alice has no key with fingerprint SHA256:nope; list the keys with: berth key ls/);
  });
});
