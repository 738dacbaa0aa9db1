import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SecretVault } from '../../../../agent/secrets/vault';

describe('agent: the secret vault', () => {
  let dir: string;
  const open = () => SecretVault.open(path.join(dir, 'secrets.json'), path.join(dir, 'secrets.key'));

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-vault-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('keeps only ciphertext in its file, 0600, and the key in a file of its own, 0600', async () => {
    const vault = await open();
    await vault.set('alice', 'TOKEN', 'plain-value-123');
    const text = await fs.readFile(vault.file, 'utf8');
    assert.ok(!text.includes('plain-value-123'));
    assert.ok(!text.includes(Buffer.from('plain-value-123').toString('base64')));
    assert.equal((await fs.stat(vault.file)).mode & 0o777, 0o600);
    assert.equal((await fs.stat(vault.keyFile)).mode & 0o777, 0o600);
    assert.equal(Buffer.from((await fs.readFile(vault.keyFile, 'utf8')).trim(), 'base64').length, 32);
  });

  it('reads values back after a reopen, per user', async () => {
    await (await open()).set('alice', 'TOKEN', 'a-value');
    const vault = await open();
    assert.equal(await vault.reveal('alice', 'TOKEN'), 'a-value');
    assert.deepEqual(
      vault.list('alice').map((s) => s.name),
      ['TOKEN'],
    );
    assert.deepEqual(vault.list('bob'), []);
    await assert.rejects(vault.reveal('bob', 'TOKEN'), /secret TOKEN is not set/);
  });

  it("refuses an entry moved to another user's name: the user and name are bound into the ciphertext", async () => {
    const vault = await open();
    await vault.set('alice', 'TOKEN', 'alice-value');
    const file = JSON.parse(await fs.readFile(vault.file, 'utf8')) as { users: Record<string, unknown> };
    file.users.bob = file.users.alice;
    await fs.writeFile(vault.file, JSON.stringify(file));
    const moved = await open();
    const err = await moved.reveal('bob', 'TOKEN').catch((e: Error) => e);
    assert.ok(err instanceof Error && /cannot be decrypted/.test(err.message));
    assert.ok(!err.message.includes('alice-value'));
  });

  it('keeps createdAt across updates and forgets a deleted secret', async () => {
    const vault = await open();
    const first = await vault.set('alice', 'TOKEN', 'one');
    const second = await vault.set('alice', 'TOKEN', 'two');
    assert.equal(first.created, true);
    assert.equal(second.created, false);
    assert.equal(second.meta.createdAt, first.meta.createdAt);
    assert.equal(await vault.reveal('alice', 'TOKEN'), 'two');
    assert.equal(await vault.delete('alice', 'TOKEN'), true);
    assert.equal(await vault.delete('alice', 'TOKEN'), false);
    assert.equal(vault.has('alice', 'TOKEN'), false);
  });

  it('never replaces an existing key file, and refuses a short one clearly', async () => {
    await fs.writeFile(path.join(dir, 'secrets.key'), 'c2hvcnQ=\n', { mode: 0o600 });
    const vault = await open();
    await assert.rejects(vault.set('alice', 'TOKEN', 'x'), /does not hold a 32-byte key/);
    assert.equal(await fs.readFile(vault.keyFile, 'utf8'), 'c2hvcnQ=\n');
  });

  it('refuses a corrupt secrets file rather than starting empty over it', async () => {
    await fs.writeFile(path.join(dir, 'secrets.json'), '{"version":2}');
    await assert.rejects(open(), /not a valid Berth secrets file/);
  });
});
