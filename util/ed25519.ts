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

/** Reads the SSH wire-format fields of a key blob in order; null once a field runs past the end. */
class WireReader {
  private offset = 0;

  constructor(private readonly blob: Buffer) {}

  /** The next length-prefixed string, or null when the blob ends before it does. */
  string(): Buffer | null {
    if (this.offset + 4 > this.blob.length) return null;
    const length = this.blob.readUInt32BE(this.offset);
    const end = this.offset + 4 + length;
    if (end > this.blob.length) return null;
    const value = this.blob.subarray(this.offset + 4, end);
    this.offset = end;
    return value;
  }

  /** Whether every byte was read: a key blob has nothing after its last field. */
  get done(): boolean {
    return this.offset === this.blob.length;
  }
}

/** A positive SSH mpint without superfluous leading zeros; its size in bits, or null when it is not one. */
function mpintBits(value: Buffer | null): number | null {
  if (!value?.length || (value[0] ?? 0) & 0x80) return null;
  const bytes = value[0] === 0 ? value.subarray(1) : value;
  if (value[0] === 0 && !((bytes[0] ?? 0) & 0x80)) return null;
  const first = bytes[0] ?? 0;
  return first ? (bytes.length - 1) * 8 + Math.floor(Math.log2(first)) + 1 : null;
}

/** The size of an uncompressed point (0x04, x, y) on each of OpenSSH's ECDSA curves. */
const EC_POINT_BYTES: Record<string, number> = { nistp256: 65, nistp384: 97, nistp521: 133 };

/** Why an ECDSA curve name and point are not a well-formed pair for `type`, or null. */
function ecdsaProblem(type: string, curve: Buffer | null, point: Buffer | null): string | null {
  const expected = /nistp(256|384|521)/.exec(type)?.[0] ?? '';
  if (curve?.toString('latin1') !== expected) {
    return `names curve "${curve?.toString('latin1') ?? ''}", not ${expected}`;
  }
  if (!point || point.length !== EC_POINT_BYTES[expected] || point[0] !== 0x04) {
    return `has no uncompressed ${expected} point`;
  }
  return null;
}

/**
 * Why `blob` (the decoded base64 of a public key line) is not a well-formed OpenSSH public key of
 * `type`, or null when it is one: every field the type has (RFC 4253, 5656, 8709; PROTOCOL.u2f for
 * the sk- types), of the right size, and nothing after them. RSA keys must have at least 1024 bits,
 * as sshd requires.
 */
export function publicKeyBlobProblem(type: string, blob: Buffer): string | null {
  const reader = new WireReader(blob);
  if (reader.string()?.toString('latin1') !== type) return `its data does not start with the key type ${type}`;
  let problem: string | null = null;
  if (type === 'ssh-ed25519' || type === 'sk-ssh-ed25519@openssh.com') {
    if (reader.string()?.length !== 32) problem = 'has no 32-byte ed25519 key';
  } else if (type === 'ssh-rsa') {
    const exponent = mpintBits(reader.string());
    const modulus = mpintBits(reader.string());
    if (exponent === null || modulus === null) {
      problem = 'has no valid RSA exponent and modulus';
    } else if (modulus < 1024) {
      problem = `is an RSA key of ${modulus} bits; sshd accepts 1024 or more (make one with ssh-keygen -t ed25519)`;
    }
  } else if (type.includes('ecdsa-sha2-')) {
    problem = ecdsaProblem(type, reader.string(), reader.string());
  } else {
    return `${type} is not a key type Berth accepts`;
  }
  if (!problem && type.startsWith('sk-') && !reader.string()?.length) problem = 'has no security key application';
  if (!problem && !reader.done) problem = 'has bytes after the key';
  return problem;
}

/**
 * The `ssh-ed25519 AAAA…` line of an unencrypted OpenSSH private key file (`openssh-key-v1` holds
 * the public key in its header); null when the text is no such key.
 */
export function publicKeyOfPrivate(privateKey: string): string | null {
  const body = /-----BEGIN OPENSSH PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END OPENSSH PRIVATE KEY-----/.exec(
    privateKey,
  );
  if (!body?.[1]) return null;
  const bytes = Buffer.from(body[1].replace(/\s+/g, ''), 'base64');
  const magic = Buffer.from('openssh-key-v1\0');
  if (!bytes.subarray(0, magic.length).equals(magic)) return null;
  let at = magic.length;
  const next = (): Buffer | null => {
    if (at + 4 > bytes.length) return null;
    const length = bytes.readUInt32BE(at);
    if (at + 4 + length > bytes.length) return null;
    const value = bytes.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    return value;
  };
  const [cipher, kdf, kdfOptions] = [next(), next(), next()];
  if (cipher?.toString() !== 'none' || kdf?.toString() !== 'none' || !kdfOptions || at + 4 > bytes.length) return null;
  if (bytes.readUInt32BE(at) !== 1) return null;
  at += 4;
  const blob = next();
  if (!blob || publicKeyBlobProblem('ssh-ed25519', blob) !== null) return null;
  return `ssh-ed25519 ${blob.toString('base64')}`;
}
