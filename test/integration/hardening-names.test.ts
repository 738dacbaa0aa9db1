import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import { AgentProcess, berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { requireDocker } from '../support/docker';
import { RawConnection } from '../support/raw-ws';
import { generateEd25519KeyPair } from '../../util/ed25519';

// `berth quota __proto__ 0` once set Object.prototype.gpuQuota in the agent: every frame of every
// client was refused from then on (strict schemas saw an unknown key), the admin's undo included.
describe('hardening: user names that every object already has', function () {
  this.timeout(120_000);
  let agent: AgentProcess;
  let admin: AgentClient;
  let adminToken: string;

  before(async () => {
    requireDocker();
    agent = await AgentProcess.start();
    adminToken = agent.token('root-ops', true);
    admin = await agent.connect(adminToken);
  });

  after(async () => {
    admin?.close();
    await agent?.destroy();
  });

  for (const name of ['__proto__', 'constructor']) {
    it(`refuses \`berth quota ${name} 0\`, and every client is served as before`, async () => {
      const result = berth(['quota', name, '0'], cliEnv(agent.url, adminToken));
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /user: must not be "__proto__", "constructor" or "prototype" \(reserved\)/);
      assert.deepEqual(await admin.request('workspace.list', {}), { workspaces: [] });
      const alice = await agent.connect(agent.token('alice'));
      try {
        assert.deepEqual(await alice.request('workspace.list', {}), { workspaces: [] });
      } finally {
        alice.close();
      }
    });

    it(`refuses \`berth token create --user ${name}\` with a usage error`, () => {
      const result = berth(['token', 'create', '--user', name, '--state-dir', agent.stateDir]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, new RegExp(`--user ${name}: must not be "__proto__", "constructor" or "prototype"`));
    });

    it(`refuses user.setQuota, user.keys and user.addKey for ${name} as raw frames, then serves the next`, async () => {
      const raw = await RawConnection.greeted(agent.url, adminToken);
      try {
        const requests: [string, unknown][] = [
          ['user.setQuota', { user: name, gpus: 0 }],
          ['user.keys', { user: name }],
          ['user.addKey', { user: name, key: generateEd25519KeyPair('x').publicKey }],
        ];
        for (const [index, [method, params]] of requests.entries()) {
          const reply = await raw.request(index + 1, method, params);
          assert.ok('error' in reply, `${method}: ${JSON.stringify(reply)}`);
          assert.equal(reply.error.code, 'invalid_params');
          assert.match(reply.error.message, /^user: must not be "__proto__", "constructor" or "prototype"/);
        }
        assert.deepEqual(await raw.request(9, 'workspace.list', {}), { id: 9, result: { workspaces: [] } });
      } finally {
        raw.close();
      }
    });
  }
});
