import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import type { AgentClient } from '../../client/agent-client';
import { TokenInfo } from '../../protocol';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { attemptUpgrade } from '../support/raw-ws';
import { sshKeyPair } from '../support/ssh';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

type Run = ReturnType<typeof berth>;

function succeeds(run: Run): string {
  assert.equal(run.code, 0, `exit code ${run.code}; stderr:\n${run.stderr}`);
  return run.stdout;
}

const operatorHome = mkdtempSync(path.join(os.tmpdir(), 'berth-operator-'));
process.once('exit', () => rmSync(operatorHome, { recursive: true, force: true }));

/** The environment of an operator on the host: no client token anywhere, so token commands act on the state dir. */
function hostEnv(): NodeJS.ProcessEnv {
  return {
    HOME: operatorHome,
    BERTH_CONFIG: path.join(operatorHome, 'config.json'),
    BERTH_URL: undefined,
    BERTH_TOKEN: undefined,
    BERTH_HOST: undefined,
  };
}

/** How a closed connection ended, as its listeners hear it. */
function closeReason(client: AgentClient): () => string | null {
  let reason: string | null = null;
  client.onClose((text) => (reason = text));
  return () => reason;
}

describe('agent: listing and revoking tokens', function () {
  this.timeout(120_000);
  const agent = useAgent();
  const open: AgentClient[] = [];
  const mint = (user: string, label: string, admin = false) => {
    const args = ['token', 'create', '--user', user, '--label', label, '--state-dir', agent.stateDir, '--json'];
    const run = succeeds(berth([...args, ...(admin ? ['--admin'] : [])], hostEnv()));
    return JSON.parse(run) as { user: string; token: string; id: string; label: string };
  };
  const connect = async (token: string) => {
    const client = await agent.connect(token);
    open.push(client);
    return client;
  };
  const hostLs = (...args: string[]) =>
    z
      .array(TokenInfo)
      .parse(JSON.parse(succeeds(berth(['token', 'ls', '--state-dir', agent.stateDir, '--json', ...args], hostEnv()))));

  afterEach(() => {
    for (const client of open.splice(0)) client.close();
  });

  it('mints a token with an id and a label, printed once with --json', () => {
    const created = mint('alice', 'alice-laptop');
    assert.match(created.id, /^[0-9a-f]{8}$/);
    assert.equal(created.label, 'alice-laptop');
    assert.match(created.token, /^berth_/);
  });

  it('lists tokens on the host with ids, labels and times, never the secret or its hash', () => {
    const created = mint('alice', 'alice-desktop');
    const run = berth(['token', 'ls', '--state-dir', agent.stateDir], hostEnv());
    const stdout = succeeds(run);
    assert.match(stdout, /^ID\s+USER\s+ADMIN\s+LABEL\s+CREATED\s+LAST USED\n/);
    assert.match(
      stdout,
      new RegExp(
        `^${created.id}\\s+alice\\s+no\\s+alice-desktop\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\S+\\s+never$`,
        'm',
      ),
    );
    const hash = createHash('sha256').update(created.token).digest('hex');
    for (const text of [stdout, JSON.stringify(hostLs())]) {
      assert.ok(!text.includes(created.token) && !text.includes(hash), text);
    }
  });

  it('records when a token was last used, once a connection used it', async () => {
    const created = mint('carol', 'carol-laptop');
    await connect(created.token);
    await waitFor('the last use to be recorded', () => hostLs('--user', 'carol')[0]?.lastUsedAt);
  });

  it('refuses a revoked token at the next upgrade with a clear unauthorized message', async () => {
    const created = mint('alice', 'stolen-laptop');
    succeeds(berth(['token', 'revoke', created.id, '--state-dir', agent.stateDir], hostEnv()));
    await assert.rejects(agent.connect(created.token), {
      code: 'unauthorized',
      message: new RegExp(`token \\(id ${created.id}\\) was revoked .*ask the host's operator for a new one`),
    });
    const upgrade = await attemptUpgrade(agent.url, { Authorization: `Bearer ${created.token}` });
    assert.equal(upgrade.status, 401);
    assert.ok(!hostLs().some((t) => t.id === created.id), 'a revoked token is no longer listed');
  });

  it('closes an open connection promptly when its token is revoked on the host, and no other', async () => {
    const lost = mint('alice', 'lost-phone');
    const kept = mint('alice', 'alice-tablet');
    const bob = mint('bob', 'bob-laptop');
    const [doomed, same, other] = await Promise.all([connect(lost.token), connect(kept.token), connect(bob.token)]);
    const reason = closeReason(doomed);
    succeeds(berth(['token', 'revoke', lost.id, '--state-dir', agent.stateDir], hostEnv()));
    await waitFor('the connection with the revoked token to close', () => doomed.closed, 10_000);
    assert.match(reason() ?? '', /token revoked; ask the host's operator for a new one/);
    await assert.rejects(doomed.request('host.info', {}), { code: 'unauthorized' });
    assert.equal((await same.request('host.info', {})).user.name, 'alice');
    assert.equal((await other.request('host.info', {})).user.name, 'bob');
  });

  it("lists a user's own tokens over the protocol, marking the connection's", async () => {
    const created = mint('dave', 'dave-laptop');
    mint('erin', 'erin-laptop');
    const client = await connect(created.token);
    const { tokens } = await client.request('user.tokens', {});
    assert.deepEqual(
      tokens.map((t) => [t.user, t.label, t.current]),
      [['dave', 'dave-laptop', true]],
    );
    await assert.rejects(client.request('user.tokens', { user: 'erin' }), {
      code: 'forbidden',
      message: /only an admin may list the tokens of another user \(erin\)/,
    });
  });

  it("refuses a non-admin who revokes another user's token, as forbidden, and leaves it valid", async () => {
    const mallory = await connect(mint('mallory', 'mallory-laptop').token);
    const victim = mint('frank', 'frank-laptop');
    await assert.rejects(mallory.request('user.revokeToken', { id: victim.id }), {
      code: 'forbidden',
      message: /only an admin may revoke another user's token/,
    });
    await assert.rejects(mallory.request('user.revokeToken', { user: 'frank', all: true }), { code: 'forbidden' });
    assert.equal((await connect(victim.token)).welcome.user.name, 'frank');
  });

  it('lets a user revoke their own token over the protocol, closing the connections that use it', async () => {
    const first = mint('gina', 'gina-old');
    const second = mint('gina', 'gina-new');
    const [old, fresh] = await Promise.all([connect(first.token), connect(second.token)]);
    const { revoked } = await fresh.request('user.revokeToken', { id: first.id });
    assert.deepEqual(
      revoked.map((t) => t.id),
      [first.id],
    );
    await waitFor('the revoked connection to close', () => old.closed);
    assert.equal(fresh.closed, false);
  });

  it("lets an admin list and revoke everyone's tokens with the CLI against the agent", async () => {
    const admin = mint('root-ops', 'ops', true);
    const harry = [mint('harry', 'harry-1'), mint('harry', 'harry-2')];
    const env = cliEnv(agent.url, admin.token);
    const listed = z.array(TokenInfo).parse(JSON.parse(succeeds(berth(['token', 'ls', '--json'], env))));
    assert.ok(harry.every((h) => listed.some((t) => t.id === h.id)));
    assert.ok(
      listed.some((t) => t.user === 'alice'),
      "an admin's list holds every user's tokens",
    );
    const stdout = succeeds(berth(['token', 'revoke', '--user', 'harry', '--all'], env));
    assert.match(stdout, new RegExp(`Revoked token ${harry[0]?.id} of harry \\(harry-1\\)`));
    for (const h of harry) await assert.rejects(agent.connect(h.token), { code: 'unauthorized' });
    if (env.HOME) await fs.rm(env.HOME, { recursive: true, force: true });
  });

  it("acts on the host's state directory when no client token is set, and says so when it is not one", async () => {
    const created = mint('ivan', 'ivan-laptop');
    const local = { ...hostEnv(), BERTH_STATE_DIR: agent.stateDir };
    assert.match(succeeds(berth(['token', 'ls', '--user', 'ivan'], local)), new RegExp(`^${created.id}\\s+ivan`, 'm'));
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-not-state-'));
    const run = berth(['token', 'ls'], { ...hostEnv(), BERTH_STATE_DIR: empty });
    await fs.rm(empty, { recursive: true, force: true });
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /users\.json does not exist, so this is not the agent's state directory; on the host pass --state-dir/,
    );
  });

  it('refuses a malformed token id on the command line as a usage error', () => {
    const run = berth(['token', 'revoke', 'not-an-id', '--state-dir', agent.stateDir], hostEnv());
    assert.equal(run.code, 2);
    assert.match(run.stderr, /"not-an-id" is not a token id/);
  });

  it('refuses token create on a directory that holds no agent state, unless --init asks for a new one', async () => {
    const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-typo-'));
    const typo = path.join(parent, 'typo');
    try {
      const run = berth(['token', 'create', '--user', 'zed', '--state-dir', typo], hostEnv());
      assert.equal(run.code, 1);
      assert.equal(run.stdout, '', 'no token printed');
      assert.match(
        run.stderr,
        new RegExp(`^berth token: ${typo} holds no agent state .*so no agent would read a token made there; .*--init`),
      );
      assert.equal(await fs.stat(typo).catch(() => null), null, 'nothing written there');
      const made = succeeds(berth(['token', 'create', '--user', 'zed', '--state-dir', typo, '--init'], hostEnv()));
      assert.match(made, /^berth_/);
      await fs.access(path.join(typo, 'users.json'));
      // The agent's own state directory needs no --init.
      succeeds(berth(['token', 'create', '--user', 'zed', '--state-dir', agent.stateDir], hostEnv()));
    } finally {
      await fs.rm(parent, { recursive: true, force: true });
    }
  });
});

describe('agent: a users file from before token ids', function () {
  this.timeout(60_000);
  const token = 'berth_an-old-token-from-before-ids';
  /** The agent starts on a state directory whose users file was written before tokens had ids. */
  const agent = useAgent(async () => {
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-old-users-'));
    const key = sshKeyPair().publicKey.split(' ').slice(0, 2).join(' ');
    const old = {
      users: {
        olduser: {
          admin: false,
          tokens: [{ sha256: createHash('sha256').update(token).digest('hex'), createdAt: '2024-05-06T07:08:09.000Z' }],
          keys: [key],
        },
      },
    };
    await fs.writeFile(path.join(stateDir, 'users.json'), JSON.stringify(old), { mode: 0o600 });
    return { stateDir };
  });

  it('keeps working after the upgrade: old tokens authenticate, get an id, and can be revoked', async () => {
    const client = await agent.connect(token);
    try {
      assert.deepEqual(client.welcome.user, { name: 'olduser', admin: false });
      const { tokens } = await client.request('user.tokens', {});
      assert.equal(tokens.length, 1);
      assert.match(tokens[0]?.id ?? '', /^[0-9a-f]{8}$/);
      assert.equal(tokens[0]?.createdAt, '2024-05-06T07:08:09.000Z');
      const { keys } = await client.request('user.keys', {});
      assert.deepEqual(
        keys.map((k) => [k.type, k.comment, k.addedAt]),
        [['ssh-ed25519', '', null]],
      );
      const run = berth(['token', 'revoke', tokens[0]?.id ?? '', '--state-dir', agent.stateDir], hostEnv());
      succeeds(run);
      await waitFor("the old token's connection to close", () => client.closed);
      await assert.rejects(agent.connect(token), { code: 'unauthorized', message: /was revoked/ });
    } finally {
      client.close();
    }
  });
});

describe('cli: berth user ls|rm on the host', function () {
  this.timeout(120_000);
  const agent = useAgent();
  const onHost = (...args: string[]) => berth(['user', ...args, '--state-dir', agent.stateDir], hostEnv());
  const listed = () =>
    z
      .array(z.object({ name: z.string(), tokens: z.number(), workspaces: z.array(z.string()) }))
      .parse(JSON.parse(succeeds(onHost('ls', '--json'))));

  it('lists users, those without a live token too, with their tokens, keys and workspaces', async () => {
    agent.token('ghost');
    succeeds(berth(['token', 'revoke', '--user', 'ghost', '--all', '--state-dir', agent.stateDir], hostEnv()));
    const client = await agent.connect(agent.token('olga'));
    try {
      await client.request('workspace.create', { name: 'owned', memory: 512 * 1024 ** 2, cpus: 1 });
    } finally {
      client.close();
    }
    assert.deepEqual(
      listed().map(({ name, tokens, workspaces }) => [name, tokens, workspaces]),
      [
        ['ghost', 0, []],
        ['olga', 1, ['owned']],
      ],
    );
    const text = succeeds(onHost('ls'));
    assert.match(text, /^USER\s+ADMIN\s+TOKENS\s+KEYS\s+WORKSPACES\s+GPU QUOTA\s+DISK QUOTA\s+LAST USED$/m);
    assert.match(text, /^ghost\s+no\s+0\s+0\s+-\s+-\s+-\s+never$/m);
  });

  it('refuses to remove a user who still has workspaces, naming them', () => {
    const run = onHost('rm', 'olga', '--yes');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^berth user: olga still has workspaces: owned; delete them first/);
    assert.ok(listed().some((u) => u.name === 'olga'));
  });

  it('asks for confirmation, then removes a user with their tokens; the agent forgets them', () => {
    const unconfirmed = onHost('rm', 'ghost');
    assert.equal(unconfirmed.code, 1);
    assert.match(unconfirmed.stderr, /refusing to remove user "ghost" without confirmation; add --yes/);
    assert.match(succeeds(onHost('rm', 'ghost', '--yes')), /^Removed user ghost/);
    assert.deepEqual(
      listed().map((u) => u.name),
      ['olga'],
    );
    const again = onHost('rm', 'ghost', '--yes');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /there is no user "ghost"/);
  });

  it('lists the users through the agent for an admin, and refuses anyone else', async () => {
    const admin = cliEnv(agent.url, agent.token('root', true));
    const user = cliEnv(agent.url, agent.token('olga'));
    try {
      const users = z
        .array(z.object({ name: z.string(), admin: z.boolean(), workspaces: z.array(z.string()) }))
        .parse(JSON.parse(succeeds(berth(['user', 'ls', '--json'], admin))));
      assert.deepEqual(
        users.map((u) => [u.name, u.admin, u.workspaces]),
        [
          ['olga', false, ['owned']],
          ['root', true, []],
        ],
      );
      const refused = berth(['user', 'ls'], user);
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr, 'berth user: only an admin may list the users\n');
    } finally {
      for (const env of [admin, user]) if (env.HOME) await fs.rm(env.HOME, { recursive: true, force: true });
    }
  });

  it('refuses a directory that is not the agent state directory', async () => {
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-not-state-'));
    const run = berth(['user', 'ls', '--state-dir', empty], hostEnv());
    await fs.rm(empty, { recursive: true, force: true });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /users\.json does not exist, so this is not the agent's state directory/);
  });
});
