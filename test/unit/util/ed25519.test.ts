import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateEd25519KeyPair as generateHostKey, publicKeyOfPrivate } from '../../../util/ed25519';

/** Length of the key in an `ssh-ed25519 BASE64` line: OpenSSH accepts exactly 32 bytes. */
function ed25519KeyLength(line: string): number {
  const blob = Buffer.from(line.split(' ')[1] ?? '', 'base64');
  const typeLength = blob.readUInt32BE(0);
  return blob.readUInt32BE(4 + typeLength);
}

describe('util: ed25519 key pairs, as workspace host keys', () => {
  it('makes private keys from which the stock ssh-keygen derives the same public key', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-hostkey-'));
    try {
      for (let i = 0; i < 40; i++) {
        const key = generateHostKey(`berth-${i}`);
        writeFileSync(path.join(dir, 'key'), key.privateKey, { mode: 0o600 });
        const derived = execFileSync('ssh-keygen', ['-y', '-f', path.join(dir, 'key')], { encoding: 'utf8' });
        assert.equal(derived.split(' ').slice(0, 2).join(' ').trim(), key.publicKey);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports the public half as a bare ssh-ed25519 line, without comment', () => {
    assert.match(generateHostKey('berth-abc').publicKey, /^ssh-ed25519 [A-Za-z0-9+/]+=*$/);
  });

  it('writes the private half as an OpenSSH private key file', () => {
    assert.match(generateHostKey('berth-abc').privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
  });

  // ssh2's generator dropped leading zero bytes (1 key in 256 came out 31 bytes and sshd refused it):
  // 2000 keys would find such a regression with near certainty.
  it('never makes a key with a short public key, which sshd would refuse', () => {
    for (let i = 0; i < 2000; i++) {
      const { publicKey } = generateHostKey(`berth-${i}`);
      assert.equal(ed25519KeyLength(publicKey), 32, publicKey);
    }
  });

  it('reads the public key back from a private key file, as ssh-keygen -y does, and nothing from anything else', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-pub-'));
    try {
      for (let i = 0; i < 20; i++) {
        const pair = generateHostKey('c');
        const file = path.join(dir, `k${i}`);
        writeFileSync(file, pair.privateKey, { mode: 0o600 });
        const byKeygen = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
        assert.equal(publicKeyOfPrivate(pair.privateKey), byKeygen.split(' ').slice(0, 2).join(' '));
      }
      assert.equal(publicKeyOfPrivate('not a key'), null);
      assert.equal(
        publicKeyOfPrivate('-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----'),
        null,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
