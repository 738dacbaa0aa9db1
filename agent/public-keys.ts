import { createHash } from 'node:crypto';
import { BerthError } from '../protocol';
import { publicKeyBlobProblem } from '../util/ed25519';

// OpenSSH public keys as users hand them in: checked field by field, fingerprinted as ssh-keygen does.

const KEY_TYPES = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

/** The SHA-256 fingerprint of a stored key line, as ssh-keygen prints it (stored keys were checked when added). */
export function fingerprintOf(line: string): string {
  const blob = Buffer.from(line.split(' ')[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Validates an OpenSSH public key line (`TYPE BASE64 [COMMENT]`, as in a .pub file); returns it
 * without its comment, its SHA-256 fingerprint as ssh-keygen prints it, and the comment. The key
 * blob must be a well-formed key of the line's type, with nothing after it.
 */
export function parsePublicKey(keyLine: string): { line: string; fingerprint: string; comment: string } {
  const [type = '', data = '', ...rest] = keyLine.trim().split(/\s+/);
  const blob = /^[A-Za-z0-9+/]+={0,2}$/.test(data) ? Buffer.from(data, 'base64') : Buffer.alloc(0);
  const problem = !KEY_TYPES.has(type)
    ? `"${type.slice(0, 40)}" is not a public key type (${[...KEY_TYPES].join(', ')})`
    : publicKeyBlobProblem(type, blob);
  if (problem) {
    throw new BerthError(
      'invalid_params',
      `key: not an OpenSSH public key: ${problem}; pass the contents of a .pub file such as ~/.ssh/id_ed25519.pub`,
    );
  }
  const line = `${type} ${blob.toString('base64')}`;
  // The comment is kept for listings only (authorized_keys gets the bare key), so just tame it.
  const comment = rest
    .join(' ')
    .replace(/\p{Cc}/gu, '')
    .slice(0, 200);
  return { line, fingerprint: fingerprintOf(line), comment };
}
