import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import { docker } from '../support/docker';
import { attemptUpgrade } from '../support/raw-ws';
import { sshKeyPair, sshRun } from '../support/ssh';
import { useAgent } from '../support/use-agent';

const startedAt = (id: string) => docker('inspect', '--format', '{{.State.StartedAt}}', `berth-${id}`);

describe('agent: users, tokens and who may touch which workspace', function () {
  this.timeout(120_000);
  const agent = useAgent();
  let alice: AgentClient;
  let bob: AgentClient;
  let admin: AgentClient;

  before(async () => {
    [alice, bob, admin] = await Promise.all([
      agent.connect(agent.token('alice')),
      agent.connect(agent.token('bob')),
      agent.connect(agent.token('admin', true)),
    ]);
    const small = { memory: 256 * 1024 ** 2, cpus: 0.5 };
    await Promise.all([
      alice.request('workspace.create', { name: 'notes', ...small }),
      bob.request('workspace.create', { name: 'scratch', ...small }),
    ]);
  });

  it("leaves another user's workspace out of the list", async () => {
    const { workspaces } = await bob.request('workspace.list', {});
    assert.deepEqual(
      workspaces.map((ws) => `${ws.owner}/${ws.name}`),
      ['bob/scratch'],
    );
  });

  for (const method of ['workspace.get', 'workspace.start', 'workspace.stop', 'workspace.delete'] as const) {
    it(`refuses ${method} on another user's workspace named with its owner as forbidden`, async () => {
      await assert.rejects(bob.request(method, { name: 'notes', owner: 'alice' }), { code: 'forbidden' });
      const { workspace } = await alice.request('workspace.get', { name: 'notes' });
      assert.equal(workspace.state, 'running');
    });

    it(`answers ${method} on another user's workspace named without owner with not_found`, async () => {
      await assert.rejects(bob.request(method, { name: 'notes' }), { code: 'not_found' });
    });
  }

  it("lists every user's workspaces for an admin", async () => {
    const { workspaces } = await admin.request('workspace.list', {});
    assert.deepEqual(workspaces.map((ws) => `${ws.owner}/${ws.name}`).sort(), ['alice/notes', 'bob/scratch']);
  });

  it("lets an admin stop another user's workspace by naming its owner", async () => {
    const { workspace } = await admin.request('workspace.stop', { name: 'scratch', owner: 'bob' });
    assert.equal(workspace.state, 'stopped');
    assert.equal(workspace.owner, 'bob');
    assert.equal((await bob.request('workspace.get', { name: 'scratch' })).workspace.state, 'stopped');
  });

  it('refuses a connection without a token at the upgrade, with HTTP 401', async () => {
    const outcome = await attemptUpgrade(agent.url, {});
    assert.equal(outcome.status, 401);
    assert.equal(outcome.opened, false);
    assert.match(outcome.body, /"code":"unauthorized"/);
  });

  it('refuses a connection with a wrong token at the upgrade, with HTTP 401', async () => {
    const outcome = await attemptUpgrade(agent.url, { Authorization: 'Bearer berth_not-a-token' });
    assert.equal(outcome.status, 401);
    assert.equal(outcome.opened, false);
  });

  it('makes the client fail to connect with unauthorized for a wrong or missing token', async () => {
    await assert.rejects(agent.connect('berth_not-a-token'), { code: 'unauthorized', message: /not valid/ });
    await assert.rejects(agent.connect(''), { code: 'unauthorized', message: /no token/ });
  });

  it('accepts a token minted with berth token create while the agent runs, at once', async () => {
    const client = await agent.connect(agent.token('carol'));
    try {
      assert.deepEqual(client.welcome.user, { name: 'carol', admin: false });
      assert.deepEqual((await client.request('workspace.list', {})).workspaces, []);
    } finally {
      client.close();
    }
  });

  it('stores a hash of each token in users.json, never the token', async () => {
    const token = agent.token('dave');
    const text = await fs.readFile(path.join(agent.stateDir, 'users.json'), 'utf8');
    assert.ok(!text.includes(token), 'the token text is not in users.json');
    assert.ok(text.includes(createHash('sha256').update(token).digest('hex')), 'its sha256 is');
  });

  it('refuses a key for another user from a non-admin as forbidden', async () => {
    const { publicKey } = sshKeyPair();
    await assert.rejects(alice.request('user.addKey', { user: 'bob', key: publicKey }), { code: 'forbidden' });
  });

  it('refuses a key that is not an OpenSSH public key as invalid_params', async () => {
    await assert.rejects(alice.request('user.addKey', { key: 'ssh-ed25519 garbage' }), {
      code: 'invalid_params',
      message: /not an OpenSSH public key/,
    });
  });

  it('lets a key added while a workspace runs log in at once, without restarting it', async () => {
    const key = sshKeyPair();
    const { workspace } = await alice.request('workspace.get', { name: 'notes' });
    const before = startedAt(workspace.id);
    assert.notEqual(sshRun(workspace, key.privateKey, 'true').code, 0, 'the key is refused before it is added');

    const added = await alice.request('user.addKey', { key: key.publicKey });
    assert.equal(added.user, 'alice');
    const result = sshRun(workspace, key.privateKey, 'whoami');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'dev\n');
    assert.equal(startedAt(workspace.id), before);
  });
});
