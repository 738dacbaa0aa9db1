import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import type { Workspace } from '../../protocol';
import type { AgentClient } from '../../client/agent-client';
import { execInWorkspace } from '../../client/exec';
import { defaultSecretsRunDir } from '../../agent/secrets/stage';
import { docker } from '../support/docker';
import { sshKeyPair, sshRun } from '../support/ssh';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';
import { refusal } from '../support/refusal';

/** What `command` prints through `workspace.exec` (exit code 0 asserted). */
async function exec(client: AgentClient, name: string, command: string[]): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = () =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        done();
      },
    });
  const code = await execInWorkspace(client, { name }, command, { stdout: sink(), stderr: sink(), stdin: null });
  assert.equal(code, 0, Buffer.concat(chunks).toString());
  return Buffer.concat(chunks).toString();
}

/** Every file under `dir` with its content (for a search of plaintext). */
async function filesUnder(dir: string): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.push({ file, text: await fs.readFile(file, 'latin1') });
  }
  return out;
}

describe('secrets: a value reaches its env and file targets, and nothing else shows it', function () {
  this.timeout(240_000);
  const agent = useAgent();
  const key = sshKeyPair();
  // Quotes, $ and spaces: the value must arrive byte for byte through every shell on its way.
  const marker = randomBytes(12).toString('hex');
  const value = `tok'en "$HOME" #x \\ \\n ${marker}`;
  const rotated = `rotated-${randomBytes(12).toString('hex')}`;
  const fileValue = `-----BEGIN KEY-----\nfile-${marker}\n-----END KEY-----\n`;
  let alice: AgentClient;
  let bob: AgentClient;
  let workspace: Workspace;
  let runDir = '';
  const replies: unknown[] = [];
  const ssh = (command: string) => {
    const result = sshRun(workspace, key.privateKey, command);
    assert.equal(result.code, 0, `${command}: ${result.stderr}`);
    return result.stdout;
  };
  const inContainer = (...command: string[]) => docker('exec', `berth-${workspace.id}`, ...command);

  before(async () => {
    runDir = defaultSecretsRunDir(agent.stateDir);
    alice = await agent.connect(agent.token('alice'));
    bob = await agent.connect(agent.token('bob'));
    await alice.request('user.addKey', { key: key.publicKey });
    replies.push(await alice.request('secret.set', { name: 'TOKEN', value }));
    replies.push(await alice.request('secret.set', { name: 'deploy-key', value: fileValue }));
    const created = await alice.request('workspace.create', {
      name: 'box',
      secrets: [
        { key: 'TOKEN', env: 'API_TOKEN' },
        { key: 'deploy-key', file: '/run/secrets/deploy-key' },
        { key: 'deploy-key', file: '/home/dev/.config/deploy/key' },
      ],
      command: 'printf "%s" "$API_TOKEN" >"$HOME/startup-saw"',
    });
    workspace = created.workspace;
    replies.push(created);
  });

  after(async () => {
    // Runs once the agent is gone (hooks after useAgent's): its containers are removed by then.
    if (runDir) await fs.rm(runDir, { recursive: true, force: true });
  });

  it('gives the env target to ssh sessions (login shells and plain commands), without Docker env', () => {
    assert.equal(ssh('printf %s "$API_TOKEN"'), value);
    assert.equal(ssh(`bash -l -c 'printf %s "$API_TOKEN"'`), value);
    const env = inContainer('cat', '/proc/1/environ');
    assert.ok(!env.includes(marker), 'the value is in the environment of the container');
  });

  it('gives the env target to berth exec and the startup command', async () => {
    assert.equal(await exec(alice, 'box', ['sh', '-c', 'printf %s "$API_TOKEN"']), value);
    await waitFor('the startup command to write what it saw', async () => {
      const saw = await exec(alice, 'box', ['sh', '-c', 'cat ~/startup-saw 2>/dev/null || true']);
      return saw === value;
    });
  });

  it('keeps the env targets in a root-only file on a tmpfs, never in /etc/profile.d or /etc/environment', () => {
    assert.equal(inContainer('stat', '-c', '%U %a', '/run/berth/secrets.env').trim(), 'root 600');
    assert.equal(inContainer('stat', '-f', '-c', '%T', '/run/berth').trim(), 'tmpfs');
    assert.notEqual(sshRun(workspace, key.privateKey, 'cat /run/berth/secrets.env').code, 0);
    const profile = inContainer('cat', '/etc/profile.d/berth-env.sh', '/etc/environment');
    assert.ok(!profile.includes(marker), profile);
  });

  it('puts file targets on a tmpfs, readable by the workspace user only', () => {
    assert.equal(ssh('cat /run/secrets/deploy-key'), fileValue);
    assert.equal(ssh('cat ~/.config/deploy/key'), fileValue);
    assert.equal(inContainer('stat', '-c', '%U %a', '/run/secrets/deploy-key').trim(), 'dev 400');
    assert.equal(inContainer('stat', '-f', '-c', '%T', '/run/secrets').trim(), 'tmpfs');
    assert.notEqual(sshRun(workspace, key.privateKey, 'sudo -u nobody cat /run/secrets/deploy-key').code, 0);
  });

  it('shows the value in no reply, no agent log, no state file and no docker inspect', async () => {
    replies.push(await alice.request('secret.list', {}));
    replies.push(await alice.request('workspace.get', { name: 'box' }));
    replies.push(await alice.request('workspace.list', {}));
    for (const reply of replies) assert.ok(!JSON.stringify(reply).includes(marker), JSON.stringify(reply));
    assert.ok(!agent.log.includes(marker), 'the agent log shows the value');
    const inspect = docker('inspect', `berth-${workspace.id}`);
    assert.ok(!inspect.includes(marker), 'docker inspect shows the value');
    const [config] = JSON.parse(inspect) as { Config: { Env: string[] } }[];
    assert.ok(
      !config?.Config.Env.some((entry) => entry.startsWith('API_TOKEN=')),
      'the variable is in the container env',
    );
    for (const { file, text } of await filesUnder(agent.stateDir)) {
      assert.ok(!text.includes(marker), `${file} holds the value in plain text`);
    }
    const workspaces = await fs.readFile(path.join(agent.stateDir, 'workspaces.json'), 'utf8');
    assert.match(workspaces, /"key": ?"TOKEN"/, 'the spec names the secret');
  });

  it('leaves no plaintext in a copy of the state directory, and keeps its files 0600', async () => {
    const copy = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-state-copy-'));
    try {
      await fs.cp(agent.stateDir, copy, { recursive: true });
      const files = await filesUnder(copy);
      assert.ok(files.some(({ file }) => file.endsWith('secrets.json')));
      for (const { file, text } of files) {
        assert.ok(!text.includes(marker) && !text.includes('file-'), `${file} holds a value in plain text`);
      }
    } finally {
      await fs.rm(copy, { recursive: true, force: true });
    }
    for (const name of ['secrets.json', 'secrets.key']) {
      assert.equal((await fs.stat(path.join(agent.stateDir, name))).mode & 0o777, 0o600, name);
    }
  });

  it('gives a changed value to a running workspace at its next start, not before', async () => {
    const reply = await alice.request('secret.set', { name: 'TOKEN', value: rotated });
    assert.deepEqual(reply.restartNeeded, ['box']);
    assert.equal(reply.created, false);
    assert.equal(await exec(alice, 'box', ['sh', '-c', 'printf %s "$API_TOKEN"']), value);
    assert.equal(ssh('printf %s "$API_TOKEN"'), value);
    await alice.request('workspace.restart', { name: 'box' });
    assert.equal(await exec(alice, 'box', ['sh', '-c', 'printf %s "$API_TOKEN"']), rotated);
    assert.equal(ssh('printf %s "$API_TOKEN"'), rotated);
  });

  it('refuses to remove a secret a workspace uses, naming it', async () => {
    const err = await refusal(alice.request('secret.delete', { name: 'TOKEN' }));
    assert.equal(err.code, 'conflict');
    assert.match(err.message, /"box"/);
    const { secrets } = await alice.request('secret.list', {});
    assert.deepEqual(
      secrets.map((s) => [s.name, s.usedBy]),
      [
        ['TOKEN', ['box']],
        ['deploy-key', ['box']],
      ],
    );
  });

  it("keeps a user's secrets from another: not listed, not usable, not removable", async () => {
    assert.deepEqual((await bob.request('secret.list', {})).secrets, []);
    const used = await refusal(
      bob.request('workspace.create', { name: 'theft', secrets: [{ key: 'TOKEN', env: 'T' }] }),
    );
    assert.equal(used.code, 'not_found');
    assert.match(used.message, /secret TOKEN is not set/);
    assert.equal((await refusal(bob.request('secret.delete', { name: 'TOKEN' }))).code, 'not_found');
    assert.equal((await alice.request('secret.list', {})).secrets.length, 2);
  });

  it('refuses a create naming an unknown secret, clearly, and makes nothing', async () => {
    const err = await refusal(
      alice.request('workspace.create', { name: 'nope', secrets: [{ key: 'GONE', env: 'G' }] }),
    );
    assert.equal(err.code, 'not_found');
    assert.match(err.message, /^secret GONE is not set; set it first/);
    assert.equal((await alice.request('workspace.list', {})).workspaces.length, 1);
  });

  it('refuses a secret in a variable that steers root or the login (LD_PRELOAD, PATH)', async () => {
    for (const env of ['LD_PRELOAD', 'PATH', 'BERTH_USER']) {
      const err = await refusal(alice.request('workspace.create', { name: 'steer', secrets: [{ key: 'TOKEN', env }] }));
      assert.equal(err.code, 'invalid_params');
      assert.match(err.message, new RegExp(`^secrets: ${env} is set by the system`));
    }
  });

  it('refuses a secret in a variable the spec sets by env, at create and at update', async () => {
    const err = await refusal(
      alice.request('workspace.create', {
        name: 'clash',
        env: { API_TOKEN: 'plain' },
        secrets: [{ key: 'TOKEN', env: 'API_TOKEN' }],
      }),
    );
    assert.equal(err.code, 'invalid_params');
    assert.match(err.message, /^secrets: API_TOKEN is also set by env/);
    const update = await refusal(
      alice.request('workspace.update', { name: 'box', changes: { env: { API_TOKEN: 'x' } } }),
    );
    assert.match(update.message, /^secrets: API_TOKEN is also set by env/);
  });

  it('removes the staged values when the workspace stops, and a secret once nothing uses it', async () => {
    const staged = path.join(runDir, workspace.id);
    await fs.access(staged);
    await alice.request('workspace.stop', { name: 'box' });
    await assert.rejects(fs.access(staged), /ENOENT/);
    await alice.request('workspace.update', { name: 'box', changes: { secrets: null } });
    assert.deepEqual(await alice.request('secret.delete', { name: 'TOKEN' }), { name: 'TOKEN', deleted: true });
  });
});
