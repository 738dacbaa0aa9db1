import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** An SSH key pair in OpenSSH formats. */
export interface KeyPair {
  /** OpenSSH private key file content (`openssh-key-v1`, unencrypted). */
  privateKey: string;
  /** `ssh-ed25519 AAAA…` line, without comment. */
  publicKey: string;
}

/** An SSH wire-format string: uint32 length, then the bytes. */
function sshString(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

/**
 * Generates an ed25519 key pair in OpenSSH formats: workspace host keys (made once per workspace and
 * kept, so clients pin them and never see a trust prompt) and the extension's client key.
 *
 * Built from node:crypto's raw keys rather than ssh2's generator, which drops leading zero bytes of
 * the public key (about one key in 256 comes out 31 bytes long, and sshd refuses it: mscdex/ssh2#1390).
 */
export function generateEd25519KeyPair(comment: string): KeyPair {
  // Encoded as DER by the key generation itself; the raw keys are the last 32 bytes of SPKI and
  // PKCS#8. Not exported from KeyObjects: exporting JWK deadlocks node 20 every few thousand keys.
  const pair = generateKeyPairSync('ed25519', {
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  const pub = pair.publicKey.subarray(-32);
  const seed = pair.privateKey.subarray(-32);
  if (pub.length !== 32 || seed.length !== 32) {
    throw new Error('node:crypto returned an ed25519 key of unexpected size');
  }
  const publicBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);

  // The openssh-key-v1 format (OpenSSH's PROTOCOL.key): one unencrypted key, padded to 8 bytes.
  const check = randomBytes(4);
  let section = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const padding = Buffer.from(Array.from({ length: (8 - (section.length % 8)) % 8 }, (_, i) => i + 1));
  section = Buffer.concat([section, padding]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(section),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return {
    privateKey: ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----', ''].join('\n'),
    publicKey: `ssh-ed25519 ${publicBlob.toString('base64')}`,
  };
}
