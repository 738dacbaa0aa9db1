import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { utils as sshUtils } from 'ssh2';
import { Users } from '../../../agent/users';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A fresh ed25519 key pair: the public line with a comment, and the private key file text. */
function keyPair(comment = 'test@host'): { publicKey: string; privateKey: string } {
  const pair = sshUtils.generateKeyPairSync('ed25519', { comment });
  return { publicKey: pair.public, privateKey: pair.private };
}

describe('agent: users and tokens', () => {
  let dir: string;
  let users: Users;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-users-'));
    users = Users.in(dir);
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('mints a token that authenticates as its user', async () => {
    const token = await users.createToken('alice', false);
    assert.deepEqual(await users.authenticate(token), { name: 'alice', admin: false });
  });

  it('mints admin tokens that authenticate as an admin', async () => {
    const token = await users.createToken('root-ops', true);
    assert.deepEqual(await users.authenticate(token), { name: 'root-ops', admin: true });
  });

  it('keeps only the sha256 of a token in the users file', async () => {
    const token = await users.createToken('alice', false);
    const text = await fs.readFile(users.file, 'utf8');
    assert.ok(!text.includes(token), 'the token text is not stored');
    assert.ok(!text.includes(token.replace(/^berth_/, '')), 'not even without its prefix');
    assert.ok(text.includes(sha256(token)), 'its sha256 is');
  });

  it('writes the users file readable by its owner only', async () => {
    await users.createToken('alice', false);
    assert.equal((await fs.stat(users.file)).mode & 0o777, 0o600);
  });

  it('authenticates nobody with a wrong, altered, empty or hashed token', async () => {
    const token = await users.createToken('alice', false);
    const altered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const wrong of ['berth_nope', altered, '', sha256(token)]) {
      assert.equal(await users.authenticate(wrong), null, wrong);
    }
  });

  it('authenticates nobody before any user exists', async () => {
    assert.equal(await users.authenticate('berth_anything'), null);
  });

  it('keeps every token of a user valid', async () => {
    const first = await users.createToken('alice', false);
    const second = await users.createToken('alice', false);
    assert.equal((await users.authenticate(first))?.name, 'alice');
    assert.equal((await users.authenticate(second))?.name, 'alice');
  });

  it('adds a public key and reports its SHA-256 fingerprint', async () => {
    await users.createToken('alice', false);
    const { publicKey } = keyPair();
    const added = await users.addKey('alice', publicKey);
    assert.match(added.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.equal(added.keys, 1);
    assert.deepEqual(await users.keys('alice'), [publicKey.split(' ').slice(0, 2).join(' ')]);
  });

  it('adds the same key only once, whatever its comment', async () => {
    await users.createToken('alice', false);
    const { publicKey } = keyPair('laptop');
    await users.addKey('alice', publicKey);
    const again = await users.addKey('alice', `${publicKey.replace('laptop', 'desktop')}\n`);
    assert.equal(again.keys, 1);
  });

  it('refuses text that is not a public key with invalid_params', async () => {
    await users.createToken('alice', false);
    await assert.rejects(users.addKey('alice', 'ssh-ed25519 not-base64!'), { code: 'invalid_params' });
  });

  it('refuses a private key with invalid_params', async () => {
    await users.createToken('alice', false);
    await assert.rejects(users.addKey('alice', keyPair().privateKey), { code: 'invalid_params' });
  });

  it('refuses a key for a user who does not exist with not_found', async () => {
    await assert.rejects(users.addKey('nobody', keyPair().publicKey), { code: 'not_found' });
  });

  it('loses no token when two processes mint concurrently (the file lock)', async () => {
    const agent = Users.in(dir);
    const cli = Users.in(dir);
    const minted = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? agent : cli).createToken(`user${i % 3}`, false)),
    );
    const reader = Users.in(dir);
    for (const token of minted) assert.ok(await reader.authenticate(token), `token ${token} survived`);
    assert.ok(!(await fs.readdir(dir)).some((name) => name.endsWith('.lock')), 'the lock is released');
  });

  it('sees a token minted by another instance at once (the agent and berth token create)', async () => {
    const agent = Users.in(dir);
    await agent.createToken('alice', false);
    assert.equal(await agent.authenticate('berth_nope'), null); // caches the file
    const token = await Users.in(dir).createToken('bob', false);
    assert.equal((await agent.authenticate(token))?.name, 'bob');
  });
});
