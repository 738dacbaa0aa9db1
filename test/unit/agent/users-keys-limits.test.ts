import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MAX_KEYS_PER_USER, Users } from '../../../agent/users';
import { generateEd25519KeyPair } from '../../../util/ed25519';

const key = (comment = 'k') => `${generateEd25519KeyPair(comment).publicKey} ${comment}`;

describe('agent: users file against malformed keys and too many of them', () => {
  let dir: string;
  let users: Users;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-users-keys-'));
    users = Users.in(dir);
    await users.createToken('alice', false);
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it(`holds a user to ${MAX_KEYS_PER_USER} keys, saying how to make room`, async function () {
    this.timeout(60_000); // a hundred fsync'd rewrites of the users file
    for (let i = 0; i < MAX_KEYS_PER_USER; i++) await users.addKey('alice', key(`k${i}`));
    await assert.rejects(users.addKey('alice', key('one-too-many')), {
      code: 'no_capacity',
      message: /^alice has 100 keys, the most a user may have; remove one first with: berth key rm/,
    });
    const again = (await users.keys('alice'))[0] ?? '';
    assert.equal((await users.addKey('alice', again)).keys, MAX_KEYS_PER_USER, 'a key already there is no new key');
  });

  it('refuses a key line with bytes after the key, saying what is wrong', async () => {
    const [type, data] = generateEd25519KeyPair('x').publicKey.split(' ');
    const padded = Buffer.concat([Buffer.from(data ?? '', 'base64'), Buffer.from('trailing')]).toString('base64');
    await assert.rejects(users.addKey('alice', `${type} ${padded}`), {
      code: 'invalid_params',
      message: /^key: not an OpenSSH public key: has bytes after the key; pass the contents of a \.pub file/,
    });
  });

  it('refuses garbage behind a known key type', async () => {
    const garbage = `ssh-ed25519 ${Buffer.from('\0\0\0\x0bssh-ed25519garbage').toString('base64')}`;
    await assert.rejects(users.addKey('alice', garbage), {
      code: 'invalid_params',
      message: /has no 32-byte ed25519 key/,
    });
  });
});
