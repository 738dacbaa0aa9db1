import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { utils as sshUtils } from 'ssh2';
import { METHODS } from '../../protocol';
import { checkLabel, legacyTokenId, sameFingerprint } from '../../agent/user-records';
import { Users } from '../../agent/users';
import { waitFor } from '../support/wait';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const publicKey = (comment: string) => sshUtils.generateKeyPairSync('ed25519', { comment }).public;

describe('agent: the lifecycle of tokens and keys', () => {
  let dir: string;
  let users: Users;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-tokens-'));
    users = Users.in(dir);
  });

  afterEach(async () => {
    await users.flushUse();
    await fs.rm(dir, { recursive: true, force: true });
  });

  describe('tokens', () => {
    it('gives each minted token an 8-hex-digit id and keeps its label', async () => {
      const { id } = await users.mint('alice', false, ' alice-laptop ');
      assert.match(id, /^[0-9a-f]{8}$/);
      const [listed] = await users.tokens('alice');
      assert.deepEqual(
        { id: listed?.id, label: listed?.label, lastUsedAt: listed?.lastUsedAt },
        { id, label: 'alice-laptop', lastUsedAt: null },
      );
    });

    it('lists tokens without their secret or hash', async () => {
      const { token } = await users.mint('alice', true, 'ops');
      const text = JSON.stringify(await users.tokens());
      assert.ok(!text.includes(token) && !text.includes(sha256(token)), text);
      assert.deepEqual(Object.keys((JSON.parse(text) as object[])[0] ?? {}).sort(), [
        'admin',
        'createdAt',
        'current',
        'id',
        'label',
        'lastUsedAt',
        'user',
      ]);
    });

    it('lists only the named user when asked, and marks the current token', async () => {
      const { id } = await users.mint('alice', false);
      await users.mint('bob', false);
      const listed = await users.tokens('alice', id);
      assert.deepEqual(
        listed.map((t) => [t.user, t.current]),
        [['alice', true]],
      );
    });

    it('refuses a label with control characters or over 64 characters with invalid_params', () => {
      assert.throws(() => checkLabel('a\nb'), { code: 'invalid_params' });
      assert.throws(() => checkLabel('x'.repeat(65)), { code: 'invalid_params' });
      assert.equal(checkLabel('alice laptop (2024)'), 'alice laptop (2024)');
    });

    it('refuses a revoked token but still knows whose it was, and when it was revoked', async () => {
      const { token, id } = await users.mint('alice', false);
      const [revoked] = await users.revokeTokens({ id });
      assert.equal(revoked?.id, id);
      assert.equal(await users.authenticate(token), null);
      const identity = await users.identify(token);
      assert.equal(identity?.user.name, 'alice');
      assert.ok(identity?.revokedAt, 'the revocation time is kept');
      assert.equal(await users.isLive(id), false);
      assert.deepEqual(await users.tokens(), []);
    });

    it('leaves the other tokens valid when one is revoked', async () => {
      const lost = await users.mint('alice', false, 'lost-laptop');
      const kept = await users.mint('alice', false, 'desktop');
      const bob = await users.mint('bob', false);
      await users.revokeTokens({ id: lost.id });
      assert.equal((await users.authenticate(kept.token))?.name, 'alice');
      assert.equal((await users.authenticate(bob.token))?.name, 'bob');
    });

    it('revokes every token of a user at once, and no one else’s', async () => {
      const first = await users.mint('alice', false);
      const second = await users.mint('alice', false);
      const bob = await users.mint('bob', false);
      const revoked = await users.revokeTokens({ user: 'alice' });
      assert.deepEqual(revoked.map((t) => t.id).sort(), [first.id, second.id].sort());
      assert.equal(await users.authenticate(first.token), null);
      assert.equal(await users.authenticate(second.token), null);
      assert.equal((await users.authenticate(bob.token))?.name, 'bob');
    });

    it('answers an unknown or already revoked id with not_found', async () => {
      const { id } = await users.mint('alice', false);
      await users.revokeTokens({ id });
      await assert.rejects(users.revokeTokens({ id }), { code: 'not_found', message: /berth token ls/ });
      await assert.rejects(users.revokeTokens({ id: '00000000' }), { code: 'not_found' });
    });

    it('revokes nothing when the authorization check refuses', async () => {
      const { token, id } = await users.mint('alice', false);
      await assert.rejects(
        users.revokeTokens({ id }, () => {
          throw new Error('no');
        }),
        /no/,
      );
      assert.equal((await users.authenticate(token))?.name, 'alice');
    });

    it('records when a token was last used, writing the file at most once a minute', async () => {
      const { token, id } = await users.mint('alice', false);
      await users.identify(token);
      await users.flushUse();
      const used = (await users.tokens()).find((t) => t.id === id)?.lastUsedAt;
      assert.ok(used, 'lastUsedAt is set after a connection');
      const { mtimeMs } = await fs.stat(users.file);
      for (let i = 0; i < 5; i++) await users.identify(token);
      await users.flushUse();
      assert.equal((await fs.stat(users.file)).mtimeMs, mtimeMs, 'no rewrite within the minute');
      assert.equal((await users.tokens()).find((t) => t.id === id)?.lastUsedAt, used);
    });

    it('does not record a use for a mere authenticate', async () => {
      const { token } = await users.mint('alice', false);
      await users.authenticate(token);
      await users.flushUse();
      assert.equal((await users.tokens())[0]?.lastUsedAt, null);
    });

    it('tells a watcher about a change made by another instance (berth token revoke while the agent runs)', async () => {
      const { id } = await users.mint('alice', false);
      let changes = 0;
      const stop = users.watch(() => changes++, 50);
      try {
        await Users.in(dir).revokeTokens({ id });
        await waitFor('the watcher to hear of the revocation', () => changes > 0, 5_000);
      } finally {
        stop();
      }
    });

    describe('a revocation written by another process within the same clock tick', () => {
      // File times tick every few milliseconds: two writes in one tick leave the same mtime.
      const TICK = 1_700_000_000;
      let token: string;

      /** Revokes `id` as `berth token revoke` would, and puts the result in place keeping the old mtime. */
      async function revokeInSameTick(id: string): Promise<void> {
        const other = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-tokens-cli-'));
        try {
          await fs.copyFile(users.file, path.join(other, 'users.json'));
          await Users.in(other).revokeTokens({ id });
          const staged = path.join(dir, 'users.json.staged');
          await fs.copyFile(path.join(other, 'users.json'), staged);
          await fs.utimes(staged, TICK, TICK);
          await fs.rename(staged, users.file);
        } finally {
          await fs.rm(other, { recursive: true, force: true });
        }
      }

      beforeEach(async () => {
        ({ token } = await users.mint('alice', false));
        await fs.utimes(users.file, TICK, TICK);
      });

      it('is seen by the next authentication', async () => {
        assert.equal((await users.authenticate(token))?.name, 'alice');
        await revokeInSameTick((await users.tokens())[0]?.id ?? '');
        assert.equal(await users.authenticate(token), null);
      });

      it('reaches a watcher', async () => {
        let changes = 0;
        const stop = users.watch(() => changes++, 10);
        try {
          await revokeInSameTick((await users.tokens())[0]?.id ?? '');
          await waitFor('the watcher to hear of the revocation', () => changes > 0, 2_000);
        } finally {
          stop();
        }
      });
    });
  });

  describe('files from before token ids', () => {
    const legacyKey = publicKey('old@laptop').split(' ').slice(0, 2).join(' ');
    const oldFile = (token: string) => ({
      users: {
        alice: {
          admin: true,
          tokens: [{ sha256: sha256(token), createdAt: '2024-01-02T03:04:05.000Z' }],
          keys: [legacyKey],
          gpuQuota: 2,
        },
      },
    });

    it('gives old tokens a stable id derived from their hash, which every reader agrees on', async () => {
      await fs.writeFile(users.file, JSON.stringify(oldFile('berth_old')));
      const [listed] = await users.tokens();
      assert.equal(listed?.id, legacyTokenId(sha256('berth_old')));
      assert.match(listed?.id ?? '', /^[0-9a-f]{8}$/);
      assert.equal((await Users.in(dir).tokens())[0]?.id, listed?.id);
      assert.equal(listed?.createdAt, '2024-01-02T03:04:05.000Z');
    });

    it('keeps authenticating old tokens, and loses nothing when the file is next written', async () => {
      await fs.writeFile(users.file, JSON.stringify(oldFile('berth_old')));
      assert.deepEqual(await users.authenticate('berth_old'), { name: 'alice', admin: true });
      await users.mint('bob', false);
      const written = JSON.parse(await fs.readFile(users.file, 'utf8')) as {
        users: { alice: { tokens: { id: string; sha256: string }[]; keys: { key: string }[]; gpuQuota: number } };
      };
      assert.deepEqual(written.users.alice.tokens[0], {
        id: legacyTokenId(sha256('berth_old')),
        sha256: sha256('berth_old'),
        createdAt: '2024-01-02T03:04:05.000Z',
      });
      assert.equal(written.users.alice.keys[0]?.key, legacyKey);
      assert.equal(written.users.alice.gpuQuota, 2);
      assert.deepEqual(await users.authenticate('berth_old'), { name: 'alice', admin: true });
    });

    it('lists old keys with their fingerprint, no comment and no time', async () => {
      await fs.writeFile(users.file, JSON.stringify(oldFile('berth_old')));
      const [listed] = await users.keyList('alice');
      assert.match(listed?.fingerprint ?? '', /^SHA256:/);
      assert.deepEqual([listed?.comment, listed?.addedAt], ['', null]);
      assert.deepEqual(await users.keys('alice'), [legacyKey]);
    });
  });

  describe('keys', () => {
    beforeEach(async () => {
      await users.mint('alice', false);
    });

    it('keeps the comment and the time a key was added, out of authorized_keys', async () => {
      const line = publicKey('alice@laptop');
      const { fingerprint } = await users.addKey('alice', line);
      const [listed] = await users.keyList('alice');
      assert.equal(listed?.fingerprint, fingerprint);
      assert.equal(listed?.comment, 'alice@laptop');
      assert.equal(listed?.type, 'ssh-ed25519');
      assert.ok(listed?.addedAt);
      assert.deepEqual(await users.keys('alice'), [line.split(' ').slice(0, 2).join(' ')]);
    });

    it('removes a key by its fingerprint, with or without the SHA256: prefix', async () => {
      const first = await users.addKey('alice', publicKey('one'));
      const second = await users.addKey('alice', publicKey('two'));
      assert.deepEqual(await users.removeKey('alice', first.fingerprint), { fingerprint: first.fingerprint, keys: 1 });
      const removed = await users.removeKey('alice', second.fingerprint.replace('SHA256:', ''));
      assert.deepEqual(removed, { fingerprint: second.fingerprint, keys: 0 });
      assert.deepEqual(await users.keys('alice'), []);
    });

    it('answers an unknown fingerprint or user with not_found', async () => {
      await assert.rejects(users.removeKey('alice', 'SHA256:nope'), { code: 'not_found', message: /berth key ls/ });
      await assert.rejects(users.removeKey('nobody', 'SHA256:nope'), { code: 'not_found' });
      await assert.rejects(users.keyList('nobody'), { code: 'not_found' });
    });

    it('compares fingerprints with or without their prefix', () => {
      assert.ok(sameFingerprint('SHA256:abc', 'abc'));
      assert.ok(!sameFingerprint('SHA256:abc', 'SHA256:abd'));
    });
  });

  describe('protocol', () => {
    const revoke = METHODS['user.revokeToken'].params;

    it('revokes by an 8-hex-digit id, or every token of a named user with all: true', () => {
      assert.ok(revoke.safeParse({ id: '0a1b2c3d' }).success);
      assert.ok(revoke.safeParse({ user: 'alice', all: true }).success);
    });

    it('refuses a revocation that names no token, a malformed id, or mixes both forms', () => {
      for (const params of [
        {},
        { id: 'xyz' },
        { user: 'alice' },
        { user: 'alice', all: false },
        { id: '0a1b2c3d', all: true },
      ]) {
        assert.ok(!revoke.safeParse(params).success, JSON.stringify(params));
      }
    });

    it('needs a fingerprint to remove a key, and refuses unknown fields', () => {
      assert.ok(METHODS['user.removeKey'].params.safeParse({ fingerprint: 'SHA256:x' }).success);
      assert.ok(!METHODS['user.removeKey'].params.safeParse({}).success);
      assert.ok(!METHODS['user.tokens'].params.safeParse({ all: true }).success);
    });
  });
});
