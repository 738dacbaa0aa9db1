import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** An ed25519 key pair in OpenSSH formats, as the agent writes host keys. */
export interface HostKey {
  privateKey: string;
  /** `ssh-ed25519 AAAA…` */
  publicKey: string;
}

const sshString = (data: Buffer | string): Buffer => {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

/**
 * The same keys and formats as the agent's generateEd25519KeyPair (agent/util/ed25519.ts), at the same
 * cost, but encoded as DER inside the key generation instead of exported as JWK from KeyObjects: on
 * Node 20 that export deadlocks now and then (a GC during it finalizes the key-generation job, which
 * takes the mutex the export holds; see BENCHMARKS.md), and a deadlock here would freeze the
 * benchmark's own thread, where no timeout can fire.
 */
export function hostKey(comment: string): HostKey {
  const pair = generateKeyPairSync('ed25519', {
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  // Both DER forms end with the raw 32 bytes: the public key, and the private seed.
  const pub = pair.publicKey.subarray(-32);
  const seed = pair.privateKey.subarray(-32);
  const publicBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  // openssh-key-v1 (OpenSSH's PROTOCOL.key): one unencrypted key, padded to a multiple of 8 bytes.
  const check = randomBytes(4);
  const section = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const padding = Buffer.from(Array.from({ length: (8 - (section.length % 8)) % 8 }, (_, i) => i + 1));
  const count = Buffer.alloc(4);
  count.writeUInt32BE(1);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    count,
    sshString(publicBlob),
    sshString(Buffer.concat([section, padding])),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return {
    privateKey: ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----', ''].join('\n'),
    publicKey: `ssh-ed25519 ${publicBlob.toString('base64')}`,
  };
}
