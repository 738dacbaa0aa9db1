import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Users } from '../../../agent/users';
import { generateEd25519KeyPair } from '../../../util/ed25519';

const key = (comment = 'k') => `${generateEd25519KeyPair(comment).publicKey} ${comment}`;

describe('agent: users file against names every object has', () => {
  let dir: string;
  let users: Users;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-users-names-'));
    users = Users.in(dir);
    await users.createToken('alice', false);
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  for (const name of ['__proto__', 'constructor', 'prototype']) {
    it(`refuses to mint a token for "${name}", saying the name is reserved`, async () => {
      await assert.rejects(users.createToken(name, false), {
        code: 'invalid_params',
        message: new RegExp(`^user ${name}: must not be "__proto__", "constructor" or "prototype"`),
      });
    });

    it(`finds no user "${name}" where every object has that property`, async () => {
      assert.deepEqual(await users.keys(name), []);
      assert.equal(await users.gpuQuota(name), null);
      await assert.rejects(users.keyList(name), { code: 'not_found' });
      await assert.rejects(users.addKey(name, key()), { code: 'not_found' });
      await assert.rejects(users.setGpuQuota(name, 0), { code: 'not_found' });
      await assert.rejects(users.revokeTokens({ user: name }), { code: 'not_found' });
      assert.ok(!('gpuQuota' in {}), 'Object.prototype got a gpuQuota');
    });
  }
});
