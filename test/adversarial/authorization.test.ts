import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import { METHODS, type MethodName, type Reply } from '../../protocol';
import { AgentProcess } from '../support/agent-process';
import { requireDocker } from '../support/docker';
import { attemptUpgrade } from '../support/raw-ws';
import { RULES, type Party, type Rule } from './authorization-rules';
import { SMALL, Wire, assertUp, destroyAgent, errorOf, freshPublicKey, mint, printFigures } from './support';

const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

function ruleOf(method: string): Rule {
  const rule = RULES[method];
  assert.ok(rule, `no authorization rule for "${method}": add one to RULES in test/adversarial/authorization.test.ts`);
  return rule;
}

/** What a user's things look like, to show that a request left them as they were. */
interface Snapshot {
  workspaces: string[];
  keys: string[];
  tokens: string[];
}

describe('adversarial: authorization matrix (every method × every credential form)', function () {
  this.timeout(180_000);
  let agent: AgentProcess;
  let admin: AgentClient;
  let alice: Party;
  let bob: Party;
  let root: Party;
  let revokedToken: string;
  let unique = 0;
  const tally = { refused: 0, allowed: 0, requests: 0 };

  /** Everything of `user`, as an admin sees it. */
  async function snapshot(user: string): Promise<Snapshot> {
    const [{ workspaces }, { keys }, { tokens }] = await Promise.all([
      admin.request('workspace.list', {}),
      admin.request('user.keys', { user }),
      admin.request('user.tokens', { user }),
    ]);
    return {
      workspaces: workspaces
        .filter((ws) => ws.owner === user)
        .map((ws) => JSON.stringify([ws.id, ws.name, ws.state, ws.spec]))
        .sort(),
      keys: keys.map((k) => k.fingerprint).sort(),
      tokens: tokens.map((t) => t.id).sort(),
    };
  }

  /** Identifiers of `victim`'s that no reply to anyone else may contain (unless the request named them). */
  async function secretsOf(victim: Party): Promise<string[]> {
    const { workspaces } = await admin.request('workspace.list', {});
    const { keys } = await admin.request('user.keys', { user: victim.name });
    const { tokens } = await admin.request('user.tokens', { user: victim.name });
    return [
      ...workspaces.filter((ws) => ws.owner === victim.name).flatMap((ws) => [ws.id, ws.name, ws.ssh.hostKey]),
      ...keys.map((k) => k.fingerprint),
      ...tokens.map((t) => t.id),
    ];
  }

  function assertNoLeak(reply: Reply, params: unknown, secrets: string[]): void {
    const asked = JSON.stringify(params);
    const text = JSON.stringify(reply);
    for (const secret of secrets) {
      if (!asked.includes(secret)) assert.ok(!text.includes(secret), `the reply shows another user's ${secret}`);
    }
  }

  async function makeParty(name: string, isAdmin: boolean): Promise<Party> {
    const main = mint(agent, name, isAdmin);
    const spare = mint(agent, name, isAdmin);
    const client = await agent.connect(main.token);
    try {
      const key = await client.request('user.addKey', { key: freshPublicKey() });
      const spareKey = await client.request('user.addKey', { key: freshPublicKey() });
      const ws = { main: `${name}-main`, stop: `${name}-stop`, del: `${name}-del` };
      await Promise.all(Object.values(ws).map((ws) => client.request('workspace.create', { name: ws, ...SMALL })));
      // Its named volume is kept by the delete, named by no workspace after it.
      const volumes = [{ name: `${name}-vol`, target: '/data' }];
      const { workspace: kept } = await client.request('workspace.create', { name: `${name}-home`, ...SMALL, volumes });
      await client.request('workspace.delete', { name: kept.name });
      return {
        name,
        admin: isAdmin,
        token: main.token,
        tokenId: main.id,
        spareTokenId: spare.id,
        keyFingerprint: key.fingerprint,
        spareKeyFingerprint: spareKey.fingerprint,
        ws,
        home: kept.id,
        volume: `${name}-vol`,
      };
    } finally {
      client.close();
    }
  }

  /** Sends one request over a fresh, greeted connection of `party` and returns the reply. */
  async function ask(party: Party, method: string, params: unknown): Promise<Reply> {
    const wire = await Wire.greeted(agent.url, party.token);
    try {
      tally.requests++;
      return await wire.request(method, params);
    } finally {
      wire.close();
    }
  }

  before(async () => {
    requireDocker();
    agent = await AgentProcess.start();
    const rootToken = mint(agent, 'root', true);
    admin = await agent.connect(rootToken.token);
    [alice, bob, root] = await Promise.all([
      makeParty('alice', false),
      makeParty('bob', false),
      makeParty('root', true),
    ]);
    const revoked = mint(agent, 'alice');
    await admin.request('user.revokeToken', { id: revoked.id });
    revokedToken = revoked.token;
  });

  after(async () => {
    admin?.close();
    printFigures('authorization matrix', [
      ['methods', METHOD_NAMES.length],
      ['requests sent', tally.requests],
      ['refused as the rules say', tally.refused],
      ['allowed as the rules say', tally.allowed],
    ]);
    await destroyAgent(agent);
  });

  it('has a rule for every method of the protocol, and none for a method it lacks', () => {
    assert.deepEqual(
      METHOD_NAMES.filter((method) => !RULES[method]),
      [],
      'methods without a rule',
    );
    assert.deepEqual(
      Object.keys(RULES).filter((method) => !METHOD_NAMES.includes(method as MethodName)),
      [],
      'rules of methods the protocol no longer has',
    );
  });

  const upgradeForms: { form: string; headers: () => Record<string, string>; message: RegExp }[] = [
    { form: 'no token', headers: () => ({}), message: /no token/ },
    {
      form: 'a bad token',
      headers: () => ({ Authorization: 'Bearer berth_not-a-token-of-this-agent' }),
      message: /not valid/,
    },
    {
      form: 'a revoked token',
      headers: () => ({ Authorization: `Bearer ${revokedToken}` }),
      message: /revoked/,
    },
  ];

  for (const { form, headers, message } of upgradeForms) {
    describe(`with ${form}: refused at the upgrade, nothing runs`, () => {
      for (const method of METHOD_NAMES) {
        it(`${method}`, async () => {
          ruleOf(method);
          const before = await Promise.all([snapshot('alice'), snapshot('bob')]);
          tally.requests++;
          const outcome = await attemptUpgrade(agent.url, headers());
          assert.equal(outcome.opened, false, 'a socket opened');
          assert.equal(outcome.status, 401);
          const body = JSON.parse(outcome.body) as { error: { code: string; message: string } };
          assert.equal(body.error.code, 'unauthorized');
          assert.match(body.error.message, message);
          tally.refused++;
          assert.deepEqual(await Promise.all([snapshot('alice'), snapshot('bob')]), before);
          await assertUp(agent);
        });
      }
    });
  }

  describe('without a hello: the request is answered bad_frame, the socket closed, nothing runs', () => {
    for (const method of METHOD_NAMES) {
      it(`${method}`, async () => {
        const rule = ruleOf(method);
        const before = await Promise.all([snapshot('alice'), snapshot('bob')]);
        const wire = await Wire.open(agent.url, alice.token);
        try {
          tally.requests++;
          wire.send({ id: 1, method, params: rule.own(alice, `nohello${unique++}`) });
          errorOf(await wire.reply(null), ['bad_frame'], /first frame must be \{"hello"/);
          assert.equal((await wire.closed()).code, 1002);
          assert.equal(wire.pendingReplies(1), 0, 'the request was answered');
          tally.refused++;
        } finally {
          wire.close();
        }
        assert.deepEqual(await Promise.all([snapshot('alice'), snapshot('bob')]), before);
        await assertUp(agent);
      });
    }
  });

  describe("with a user's token, on another user's things: refused, and theirs stays unseen and unchanged", () => {
    for (const method of METHOD_NAMES) {
      it(`${method}`, async () => {
        const rule = ruleOf(method);
        const before = await snapshot('bob');
        const secrets = await secretsOf(bob);
        const variants = rule.others?.(bob, alice);
        if (variants) {
          for (const variant of variants) {
            const reply = await ask(alice, method, variant.params);
            errorOf(reply, [rule.adminOnly ? 'forbidden' : variant.refused]);
            assertNoLeak(reply, variant.params, secrets);
            tally.refused++;
          }
        } else {
          // A method that names no other user: its answer shows nothing of theirs.
          if (rule.input) return;
          const params = rule.own(alice, `other${unique++}`);
          const reply = await ask(alice, method, params);
          assert.ok('result' in reply, `refused: ${JSON.stringify(reply)}`);
          assertNoLeak(reply, params, secrets);
          rule.check?.(reply.result as Record<string, unknown>, alice);
          tally.allowed++;
        }
        assert.deepEqual(await snapshot('bob'), before, "the other user's workspaces, keys or tokens changed");
        await assertUp(agent);
      });
    }
  });

  describe('with a non-admin user, on their own things: allowed, except what is for admins', () => {
    for (const method of METHOD_NAMES) {
      it(`${method}`, async () => {
        const rule = ruleOf(method);
        const before = await snapshot('bob');
        const secrets = await secretsOf(bob);
        if (rule.input) return;
        const params = rule.own(alice, `own${unique++}`);
        const reply = await ask(alice, method, params);
        if (rule.adminOnly) {
          errorOf(reply, ['forbidden'], /admin/);
          tally.refused++;
        } else {
          assert.ok('result' in reply, `refused: ${JSON.stringify(reply)}`);
          rule.check?.(reply.result as Record<string, unknown>, alice);
          tally.allowed++;
        }
        assertNoLeak(reply, params, secrets);
        for (const adminOnly of rule.adminParams?.(alice, `own${unique++}`) ?? []) {
          errorOf(await ask(alice, method, adminOnly), ['forbidden'], /admin/);
          tally.refused++;
        }
        assert.deepEqual(await snapshot('bob'), before, "the other user's workspaces, keys or tokens changed");
        await assertUp(agent);
      });
    }
  });

  describe("with an admin's token: allowed, on their own things and anyone's", () => {
    for (const method of METHOD_NAMES) {
      it(`${method}`, async () => {
        const rule = ruleOf(method);
        if (rule.input) return;
        const own = await ask(root, method, rule.own(root, `admin${unique++}`));
        assert.ok('result' in own, `refused: ${JSON.stringify(own)}`);
        rule.check?.(own.result as Record<string, unknown>, root);
        tally.allowed++;
        for (const variant of rule.others?.(bob, root) ?? []) {
          const reply = await ask(root, method, variant.params);
          if (variant.admin === 'allowed') {
            assert.ok('result' in reply, `refused: ${JSON.stringify(reply)}`);
            tally.allowed++;
          } else {
            errorOf(reply, [variant.admin]);
            tally.refused++;
          }
        }
        for (const adminOnly of rule.adminParams?.(root, `admin${unique++}`) ?? []) {
          // There is no such GPU here, so this may fail; but never as a lack of rights.
          const reply = await ask(root, method, adminOnly);
          if ('error' in reply) assert.notEqual(reply.error.code, 'forbidden', reply.error.message);
        }
        await assertUp(agent);
      });
    }
  });
});
