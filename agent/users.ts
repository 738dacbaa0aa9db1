import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { BerthError, UserName } from '../protocol';
import { readJson, withFileLock, writeFileAtomic } from './util/files';

const UserEntry = z.object({
  admin: z.boolean(),
  /** SHA-256 of each token: tokens are 192-bit random, so a fast hash is enough and nothing reversible is kept. */
  tokens: z.array(z.object({ sha256: z.string(), createdAt: z.string() })),
  keys: z.array(z.string()),
  /** The most GPUs the user may hold at once; absent: the agent's default. */
  gpuQuota: z.number().int().min(0).optional(),
});
const UsersFile = z.object({ users: z.record(UserName, UserEntry) });
type UsersFile = z.infer<typeof UsersFile>;

/** An authenticated caller. */
export interface User {
  name: string;
  admin: boolean;
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Users, their hashed tokens and SSH public keys, in `users.json` of the state directory. Both the
 * running agent and `berth token create` change it, under a lock file; the agent re-reads it when its
 * modification time changes, so a token minted while the agent runs works at once.
 */
export class Users {
  private cache: { mtimeMs: number; data: UsersFile } | null = null;

  constructor(readonly file: string) {}

  /** The users file of a state directory. */
  static in(stateDir: string): Users {
    return new Users(path.join(stateDir, 'users.json'));
  }

  /** The user a bearer token belongs to, or null. */
  async authenticate(token: string): Promise<User | null> {
    const data = await this.read();
    const hash = hashToken(token);
    for (const [name, entry] of Object.entries(data.users)) {
      if (entry.tokens.some((t) => t.sha256 === hash)) return { name, admin: entry.admin };
    }
    return null;
  }

  /** Public keys of `user` (empty when unknown). */
  async keys(user: string): Promise<string[]> {
    return (await this.read()).users[user]?.keys ?? [];
  }

  /** Mints a new token for `user`, creating the user when needed; `admin` true grants admin rights. */
  async createToken(user: string, admin: boolean): Promise<string> {
    const token = `berth_${randomBytes(24).toString('base64url')}`;
    await this.change((data) => {
      const entry = (data.users[user] ??= { admin: false, tokens: [], keys: [] });
      if (admin) entry.admin = true;
      entry.tokens.push({ sha256: hashToken(token), createdAt: new Date().toISOString() });
    });
    return token;
  }

  /**
   * Adds an OpenSSH public key line to `user` (who must exist) and returns its SHA-256 fingerprint
   * and the user's key count. Adding a key twice is a no-op.
   */
  async addKey(user: string, keyLine: string): Promise<{ fingerprint: string; keys: number }> {
    const { line, fingerprint } = parsePublicKey(keyLine);
    let count = 0;
    await this.change((data) => {
      const entry = data.users[user];
      if (!entry)
        throw new BerthError(
          'not_found',
          `there is no user "${user}"; create one with: berth token create --user ${user}`,
        );
      if (!entry.keys.includes(line)) entry.keys.push(line);
      count = entry.keys.length;
    });
    return { fingerprint, keys: count };
  }

  /** The GPU quota an admin set for `user`, or null when none was set. */
  async gpuQuota(user: string): Promise<number | null> {
    return (await this.read()).users[user]?.gpuQuota ?? null;
  }

  /** Sets (or with null, removes) the GPU quota of `user`, who must exist. */
  async setGpuQuota(user: string, gpus: number | null): Promise<void> {
    await this.change((data) => {
      const entry = data.users[user];
      if (!entry) {
        throw new BerthError(
          'not_found',
          `there is no user "${user}"; create one with: berth token create --user ${user}`,
        );
      }
      if (gpus === null) delete entry.gpuQuota;
      else entry.gpuQuota = gpus;
    });
  }

  private async change(mutate: (data: UsersFile) => void): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await withFileLock(this.file, async () => {
      this.cache = null;
      const data = await this.read();
      mutate(data);
      await writeFileAtomic(this.file, JSON.stringify(data, null, 1));
      this.cache = null;
    });
  }

  private async read(): Promise<UsersFile> {
    const stat = await fs.stat(this.file).catch(() => null);
    if (!stat) return { users: {} };
    if (this.cache && this.cache.mtimeMs === stat.mtimeMs) return this.cache.data;
    const parsed = UsersFile.safeParse(await readJson(this.file));
    if (!parsed.success) throw new Error(`${this.file} is not a valid Berth users file; restore it or move it away`);
    this.cache = { mtimeMs: stat.mtimeMs, data: parsed.data };
    return parsed.data;
  }
}

const KEY_TYPES = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

/**
 * Validates an OpenSSH public key line (`TYPE BASE64 [COMMENT]`, as in a .pub file); returns it
 * without its comment, and its SHA-256 fingerprint as ssh-keygen prints it. The key blob must
 * decode and name the same type as the line.
 */
export function parsePublicKey(keyLine: string): { line: string; fingerprint: string } {
  const [type = '', data = ''] = keyLine.trim().split(/\s+/);
  const blob = /^[A-Za-z0-9+/]+={0,2}$/.test(data) ? Buffer.from(data, 'base64') : Buffer.alloc(0);
  const typeLength = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  const blobType =
    typeLength > 0 && 4 + typeLength < blob.length ? blob.subarray(4, 4 + typeLength).toString('latin1') : '';
  if (!KEY_TYPES.has(type) || blobType !== type) {
    throw new BerthError(
      'invalid_params',
      'key: not an OpenSSH public key; pass the contents of a .pub file such as ~/.ssh/id_ed25519.pub',
    );
  }
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  return { line: `${type} ${blob.toString('base64')}`, fingerprint };
}
