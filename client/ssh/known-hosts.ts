import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** What the user's known_hosts files say about a host key. */
export type HostKeyVerdict =
  /** A line for this host holds exactly this key. */
  | { kind: 'known' }
  /** No line for this host holds a key of this type: the user decides. */
  | { kind: 'unknown' }
  /** A line for this host holds another key of this type, or the key is marked @revoked: refuse. */
  | { kind: 'changed'; file: string; line: number };

/** The key type inside an SSH public key blob (its first string): `ssh-ed25519`, `rsa-sha2-512`... */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** OpenSSH's fingerprint of a key blob: `SHA256:` and unpadded base64. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Glob match of one known_hosts pattern (`*` and `?`), case-insensitive as ssh does. */
function globMatch(pattern: string, name: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i').test(name);
}

/** Whether the host field of a known_hosts line (a `|1|salt|hash` or a comma list with `!` negations) names `name`. */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const pattern of field.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), name)) return false;
    } else if (globMatch(pattern, name)) matched = true;
  }
  return matched;
}

/**
 * Checks a host's key against known_hosts files, as OpenSSH does: hashed and plain host fields,
 * `[host]:port` names, `@revoked` markers (`@cert-authority` lines are CA keys, not host keys: skipped).
 * `name` is what ssh files the key under (see `knownHostsName`).
 */
export function checkHostKey(files: readonly string[], name: string, blob: Buffer): HostKeyVerdict {
  const type = keyType(blob);
  const encoded = blob.toString('base64');
  const entries = files.flatMap((file) => hostLines(file, name));
  // A revoked key is refused whatever else the files say, as ssh does.
  const revoked = entries.find((entry) => entry.marker === '@revoked' && entry.key === encoded);
  if (revoked) return { kind: 'changed', file: revoked.file, line: revoked.line };
  const keys = entries.filter((entry) => entry.marker === undefined);
  if (keys.some((entry) => entry.key === encoded)) return { kind: 'known' };
  const changed = keys.find((entry) => entry.type === type);
  return changed ? { kind: 'changed', file: changed.file, line: changed.line } : { kind: 'unknown' };
}

/**
 * The host key algorithms to ask the host for first: those of the keys the files already hold for
 * `name`, as OpenSSH orders them, so that a host with a known RSA key is not asked for (and does not
 * get to present) an ed25519 key the user would be asked about instead.
 */
export function preferredHostKeyAlgorithms(files: readonly string[], name: string): string[] {
  const types = new Set(
    files.flatMap((file) => hostLines(file, name)).flatMap((entry) => (entry.marker ? [] : [entry.type])),
  );
  const algorithms: Record<string, string[]> = {
    'ssh-ed25519': ['ssh-ed25519'],
    'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
    'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
    'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
    'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  };
  return [...types].flatMap((type) => algorithms[type] ?? []);
}

/** The lines of a known_hosts file that name `name` (none when the file is missing). */
function hostLines(
  file: string,
  name: string,
): { file: string; line: number; marker?: string; type: string; key: string }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .flatMap((raw, index) => {
      const fields = raw.trim().split(/\s+/);
      if (!fields[0] || fields[0].startsWith('#')) return [];
      const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
      const [hosts, type, key] = fields;
      if (!hosts || !type || !key || !hostFieldMatches(hosts, name)) return [];
      return [{ file, line: index + 1, type, key, ...(marker ? { marker } : {}) }];
    });
}

/** Adds the key to `file` under `name` (what `ssh` does when the user answers "yes"). */
export function addKnownHost(file: string, name: string, blob: Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const separator = existing && !existing.endsWith('\n') ? '\n' : '';
  appendFileSync(file, `${separator}${name} ${keyType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}
