import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateEd25519KeyPair, publicKeyBlobProblem } from '../../../util/ed25519';

/** The type and decoded blob of a public key line. */
function blobOf(line: string): { type: string; blob: Buffer } {
  const [type = '', data = ''] = line.trim().split(/\s+/);
  return { type, blob: Buffer.from(data, 'base64') };
}

/** An SSH wire-format string. */
function wire(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** A public key line made by the stock ssh-keygen. */
function keygen(type: string, bits?: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-keyblob-'));
  try {
    const file = path.join(dir, 'key');
    execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-f', file]);
    return readFileSync(`${file}.pub`, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('util: OpenSSH public key blobs', () => {
  const stock: [string, () => string][] = [
    ["ssh-keygen's ed25519", () => keygen('ed25519')],
    ["ssh-keygen's 2048-bit RSA", () => keygen('rsa', 2048)],
    ["ssh-keygen's nistp256", () => keygen('ecdsa', 256)],
    ["ssh-keygen's nistp384", () => keygen('ecdsa', 384)],
    ["ssh-keygen's nistp521", () => keygen('ecdsa', 521)],
    ["Berth's own ed25519", () => generateEd25519KeyPair('x').publicKey],
  ];
  for (const [what, make] of stock) {
    it(`accepts ${what} key`, () => {
      const { type, blob } = blobOf(make());
      assert.equal(publicKeyBlobProblem(type, blob), null);
    });
  }

  it('accepts security-key (sk-) ed25519 keys with their application', () => {
    const { blob } = blobOf(generateEd25519KeyPair('x').publicKey);
    const key = blob.subarray(blob.length - 32);
    const sk = Buffer.concat([wire('sk-ssh-ed25519@openssh.com'), wire(key), wire('ssh:')]);
    assert.equal(publicKeyBlobProblem('sk-ssh-ed25519@openssh.com', sk), null);
    const noApplication = Buffer.concat([wire('sk-ssh-ed25519@openssh.com'), wire(key)]);
    assert.match(publicKeyBlobProblem('sk-ssh-ed25519@openssh.com', noApplication) ?? '', /application/);
  });

  it('refuses a key with bytes after it', () => {
    const { type, blob } = blobOf(keygen('ed25519'));
    assert.match(publicKeyBlobProblem(type, Buffer.concat([blob, Buffer.from([0])])) ?? '', /bytes after the key/);
  });

  it('refuses a truncated key, and an ed25519 key of 31 bytes (sshd refuses those too)', () => {
    const { type, blob } = blobOf(keygen('ed25519'));
    assert.match(publicKeyBlobProblem(type, blob.subarray(0, blob.length - 1)) ?? '', /32-byte ed25519 key/);
    const short = Buffer.concat([wire('ssh-ed25519'), wire(Buffer.alloc(31, 1))]);
    assert.match(publicKeyBlobProblem(type, short) ?? '', /32-byte ed25519 key/);
  });

  it('refuses garbage that merely starts with the type', () => {
    const garbage = Buffer.concat([wire('ssh-rsa'), Buffer.from('garbage')]);
    assert.match(publicKeyBlobProblem('ssh-rsa', garbage) ?? '', /RSA exponent and modulus/);
    assert.match(publicKeyBlobProblem('ssh-ed25519', Buffer.from('junk')) ?? '', /does not start with the key type/);
  });

  it('refuses an RSA key under 1024 bits', () => {
    const modulus = Buffer.concat([Buffer.from([0x00, 0xc0]), Buffer.alloc(63, 1)]);
    const small = Buffer.concat([wire('ssh-rsa'), wire(Buffer.from([1, 0, 1])), wire(modulus)]);
    assert.match(publicKeyBlobProblem('ssh-rsa', small) ?? '', /RSA key of 512 bits/);
  });

  it('refuses an ECDSA key naming another curve or holding no point', () => {
    const { type, blob } = blobOf(keygen('ecdsa', 256));
    const point = blob.subarray(blob.length - 65);
    const otherCurve = Buffer.concat([wire(type), wire('nistp384'), wire(point)]);
    assert.match(publicKeyBlobProblem(type, otherCurve) ?? '', /names curve "nistp384", not nistp256/);
    const compressed = Buffer.concat([wire(type), wire('nistp256'), wire(point.subarray(0, 33))]);
    assert.match(publicKeyBlobProblem(type, compressed) ?? '', /no uncompressed nistp256 point/);
  });
});
