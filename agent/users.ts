import { randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs, unwatchFile, watchFile, type Stats } from 'node:fs';
import * as path from 'node:path';
import { BerthError, UserName, describeIssues, type KeyInfo, type TokenInfo } from '../protocol';
import {
  TOUCH_INTERVAL_MS,
  UsersFile,
  checkLabel,
  hashToken,
  liveTokens,
  newTokenId,
  sameFingerprint,
  tokenInfo,
  userSummary,
  type UserEntry,
  type UserSummary,
  type UsersData,
} from './user-records';
import { readJson, withFileLock, writeFileAtomic } from '../util/files';
import { fingerprintOf, parsePublicKey } from './public-keys';

/** An authenticated caller. */
export interface User {
  name: string;
  admin: boolean;
}

/** Whom a token belongs to, which token it is, and whether it was revoked. */
export interface Identity {
  user: User;
  tokenId: string;
  /** When the token was revoked; null for a live token. */
  revokedAt: string | null;
}

/**
 * Tells one version of the users file from the next. The modification time alone does not: it ticks
 * only every few milliseconds, so a `berth token revoke` landing in the same tick as the agent's own
 * write would go unseen. Every write renames a new file into place (a new inode), and nearly every
 * change also changes the size.
 */
const fileVersion = (stat: Pick<Stats, 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>): string =>
  `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;

const noSuchUser = (user: string) =>
  new BerthError('not_found', `there is no user "${user}"; create one with: berth token create --user ${user}`);

/** The most SSH keys one user may have (each is copied into every workspace of theirs). */
export const MAX_KEYS_PER_USER = 100;

/**
 * The entry of `user`, or undefined. Only the file's own entries count: a name such as
 * "constructor" must never find what every object inherits.
 */
const entryOf = (data: UsersData, user: string): UserEntry | undefined =>
  Object.hasOwn(data.users, user) ? data.users[user] : undefined;

/**
 * Users, their hashed tokens and SSH public keys, in `users.json` of the state directory. Both the
 * running agent and `berth token create|revoke` change it, under a lock file; the agent re-reads it
 * whenever it was replaced (see {@link fileVersion}), so a token minted or revoked while the agent
 * runs counts at once.
 */
export class Users {
  private cache: { version: string; data: UsersData } | null = null;
  /** Token ids whose use is not yet written, with when they were used. */
  private readonly used = new Map<string, string>();
  private flushing: Promise<void> | null = null;
  private readonly listeners = new Set<() => void>();

  /** `onError` hears about failures of background writes (the last-used times). */
  constructor(
    readonly file: string,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** The users file of a state directory. */
  static in(stateDir: string, onError?: (err: unknown) => void): Users {
    return new Users(path.join(stateDir, 'users.json'), onError);
  }

  /** The user a live bearer token belongs to, or null. A pure lookup: nothing is recorded. */
  async authenticate(token: string): Promise<User | null> {
    const identity = await this.lookup(token);
    return identity && !identity.revokedAt ? identity.user : null;
  }

  /**
   * Whose `token` is (revoked ones included), or null for a token never minted here. A live token's
   * use is recorded as its `lastUsedAt` (see {@link noteUse}): call this for connections.
   */
  async identify(token: string): Promise<Identity | null> {
    const identity = await this.lookup(token);
    if (identity && !identity.revokedAt) this.noteUse(identity.tokenId, identity.lastUsedAt);
    return identity;
  }

  private async lookup(token: string): Promise<(Identity & { lastUsedAt: string | undefined }) | null> {
    const data = await this.read();
    const hash = Buffer.from(hashToken(token), 'hex');
    // Constant-time, so that response times say nothing about how much of a stored hash matched.
    const matches = (sha256: string) => {
      const stored = Buffer.from(sha256, 'hex');
      return stored.length === hash.length && timingSafeEqual(stored, hash);
    };
    for (const [name, entry] of Object.entries(data.users)) {
      const found = entry.tokens.find((t) => matches(t.sha256));
      if (!found) continue;
      const { id: tokenId, revokedAt = null, lastUsedAt } = found;
      return { user: { name, admin: entry.admin }, tokenId, revokedAt, lastUsedAt };
    }
    return null;
  }

  /** Whether the token with this id exists and is not revoked. */
  async isLive(tokenId: string): Promise<boolean> {
    return liveTokens(await this.read()).some(({ token }) => token.id === tokenId);
  }

  /** Live tokens, everyone's or `user`'s; `currentId` marks the asking connection's. */
  async tokens(user?: string, currentId?: string): Promise<TokenInfo[]> {
    return liveTokens(await this.read())
      .filter((t) => user === undefined || t.user === user)
      .map((t) => tokenInfo(t.user, t.entry, t.token, currentId));
  }

  /** Every user of the file: admin or not, live tokens, keys, quotas and the last use of a token. */
  async users(): Promise<UserSummary[]> {
    return Object.entries((await this.read()).users).map(([name, entry]) => userSummary(name, entry));
  }

  /** Removes `user` with all their tokens (revoked ones too) and keys; false when there was none. */
  async removeUser(user: string): Promise<boolean> {
    let removed = false;
    await this.change((data) => {
      removed = Object.hasOwn(data.users, user);
      delete data.users[user];
    });
    return removed;
  }

  /** Mints a new token for `user`, creating the user when needed; `admin` true grants admin rights. */
  async createToken(user: string, admin: boolean): Promise<string> {
    return (await this.mint(user, admin)).token;
  }

  /** Mints a token (see {@link createToken}) with an optional label; returns it and its id. */
  async mint(user: string, admin: boolean, label?: string): Promise<{ token: string; id: string }> {
    const name = UserName.safeParse(user);
    if (!name.success) throw new BerthError('invalid_params', `user ${user}: ${describeIssues(name.error)}`);
    const token = `berth_${randomBytes(24).toString('base64url')}`;
    const checked = label === undefined ? undefined : checkLabel(label);
    let id = '';
    await this.change((data) => {
      const entry = entryOf(data, user) ?? (data.users[user] = { admin: false, tokens: [], keys: [] });
      if (admin) entry.admin = true;
      id = newTokenId(data);
      entry.tokens.push({
        id,
        sha256: hashToken(token),
        createdAt: new Date().toISOString(),
        ...(checked ? { label: checked } : {}),
      });
    });
    return { token, id };
  }

  /**
   * Revokes the token with `id`, or every live token of `user`. `authorize` sees each token's owner
   * first and throws to refuse. Returns what was revoked.
   */
  async revokeTokens(
    which: { id: string } | { user: string },
    authorize: (owner: string) => void = () => undefined,
  ): Promise<TokenInfo[]> {
    let revoked: TokenInfo[] = [];
    await this.change((data) => {
      let matches = liveTokens(data);
      if ('id' in which) {
        matches = matches.filter((t) => t.token.id === which.id);
        if (!matches.length) {
          throw new BerthError(
            'not_found',
            `there is no token with id ${which.id} (or it was revoked already); list tokens with: berth token ls`,
          );
        }
      } else {
        if (!entryOf(data, which.user)) throw noSuchUser(which.user);
        matches = matches.filter((t) => t.user === which.user);
      }
      for (const { user } of matches) authorize(user);
      const now = new Date().toISOString();
      for (const { token } of matches) token.revokedAt = now;
      revoked = matches.map((t) => tokenInfo(t.user, t.entry, t.token));
    });
    return revoked;
  }

  /** Public key lines of `user` (empty when unknown), as authorized_keys holds them. */
  async keys(user: string): Promise<string[]> {
    return (entryOf(await this.read(), user)?.keys ?? []).map((k) => k.key);
  }

  /** The keys of `user`, who must exist, as listings show them. */
  async keyList(user: string): Promise<KeyInfo[]> {
    const entry = entryOf(await this.read(), user);
    if (!entry) throw noSuchUser(user);
    return entry.keys.map((k) => ({
      fingerprint: fingerprintOf(k.key),
      type: k.key.split(' ')[0] ?? '',
      comment: k.comment,
      addedAt: k.addedAt ?? null,
    }));
  }

  /**
   * Adds an OpenSSH public key line to `user` (who must exist) and returns its SHA-256 fingerprint
   * and the user's key count. Adding a key twice is a no-op; a user has at most
   * {@link MAX_KEYS_PER_USER} keys.
   */
  async addKey(user: string, keyLine: string): Promise<{ fingerprint: string; keys: number }> {
    const { line, fingerprint, comment } = parsePublicKey(keyLine);
    let count = 0;
    await this.change((data) => {
      const entry = entryOf(data, user);
      if (!entry) throw noSuchUser(user);
      if (!entry.keys.some((k) => k.key === line)) {
        if (entry.keys.length >= MAX_KEYS_PER_USER) {
          throw new BerthError(
            'no_capacity',
            `${user} has ${entry.keys.length} keys, the most a user may have; remove one first with: berth key rm FINGERPRINT (berth key ls lists them)`,
          );
        }
        entry.keys.push({ key: line, comment, addedAt: new Date().toISOString() });
      }
      count = entry.keys.length;
    });
    return { fingerprint, keys: count };
  }

  /** Removes the key of `user` with this fingerprint; returns its fingerprint and the keys left. */
  async removeKey(user: string, fingerprint: string): Promise<{ fingerprint: string; keys: number }> {
    let removed = '';
    let count = 0;
    await this.change((data) => {
      const entry = entryOf(data, user);
      if (!entry) throw noSuchUser(user);
      const index = entry.keys.findIndex((k) => sameFingerprint(fingerprintOf(k.key), fingerprint));
      const found = entry.keys[index];
      if (!found) {
        throw new BerthError(
          'not_found',
          `${user} has no key with fingerprint ${fingerprint}; list the keys with: berth key ls`,
        );
      }
      removed = fingerprintOf(found.key);
      entry.keys.splice(index, 1);
      count = entry.keys.length;
    });
    return { fingerprint: removed, keys: count };
  }

  /** The GPU quota an admin set for `user`, or null when none was set. */
  async gpuQuota(user: string): Promise<number | null> {
    return entryOf(await this.read(), user)?.gpuQuota ?? null;
  }

  /** The soft disk quota (bytes) an admin set for each user that has one. */
  async diskQuotas(): Promise<Map<string, number>> {
    const data = await this.read();
    const quotas = new Map<string, number>();
    for (const [name, entry] of Object.entries(data.users)) {
      if (entry.diskQuota !== undefined) quotas.set(name, entry.diskQuota);
    }
    return quotas;
  }

  /** Sets (or with null, removes) the soft disk quota of `user`, who must exist. */
  async setDiskQuota(user: string, bytes: number | null): Promise<void> {
    await this.change((data) => {
      const entry = entryOf(data, user);
      if (!entry) throw noSuchUser(user);
      if (bytes === null) delete entry.diskQuota;
      else entry.diskQuota = bytes;
    });
  }

  /** Sets (or with null, removes) the GPU quota of `user`, who must exist. */
  async setGpuQuota(user: string, gpus: number | null): Promise<void> {
    await this.change((data) => {
      const entry = entryOf(data, user);
      if (!entry) throw noSuchUser(user);
      if (gpus === null) delete entry.gpuQuota;
      else entry.gpuQuota = gpus;
    });
  }

  /**
   * Calls `listener` whenever the file may have changed: at once after this instance's own changes,
   * and within `intervalMs` of another process's (the file's stat is polled; a rename is seen too).
   * Returns the function that stops watching.
   */
  watch(listener: () => void, intervalMs = 1_000): () => void {
    const onStat = (current: Stats, previous: Stats) => {
      if (fileVersion(current) !== fileVersion(previous)) listener();
    };
    watchFile(this.file, { interval: intervalMs, persistent: false }, onStat);
    this.listeners.add(listener);
    return () => {
      unwatchFile(this.file, onStat);
      this.listeners.delete(listener);
    };
  }

  /** Waits until the last-used times noted so far are written. */
  async flushUse(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /**
   * Notes that a token was used; the file is rewritten (once, for every token noted meanwhile) only
   * when its stored time is older than {@link TOUCH_INTERVAL_MS}, so connections cost no write each.
   */
  private noteUse(id: string, stored: string | undefined): void {
    const now = Date.now();
    if (this.used.has(id) || (stored && now - Date.parse(stored) < TOUCH_INTERVAL_MS)) return;
    this.used.set(id, new Date(now).toISOString());
    this.flushing ??= this.writeUse();
  }

  private async writeUse(): Promise<void> {
    try {
      while (this.used.size) {
        await new Promise((resolve) => setImmediate(resolve)); // gather the connections of this moment
        const used = new Map(this.used);
        try {
          await this.change((data) => {
            for (const { token } of liveTokens(data)) {
              const at = used.get(token.id);
              if (at && (!token.lastUsedAt || token.lastUsedAt < at)) token.lastUsedAt = at;
            }
          });
        } catch (err) {
          this.onError(err);
        } finally {
          for (const id of used.keys()) this.used.delete(id);
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  private async change(mutate: (data: UsersData) => void): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await withFileLock(this.file, async () => {
      this.cache = null;
      const data = await this.read();
      mutate(data);
      await writeFileAtomic(this.file, JSON.stringify(data, null, 1));
      this.cache = null;
    });
    for (const listener of this.listeners) listener();
  }

  private async read(): Promise<UsersData> {
    const stat = await fs.stat(this.file).catch(() => null);
    if (!stat) return { users: Object.create(null) as UsersData['users'] };
    const version = fileVersion(stat);
    if (this.cache?.version === version) return this.cache.data;
    const parsed = UsersFile.safeParse(await readJson(this.file));
    if (!parsed.success) {
      // Says which entry: a user named constructor or prototype (refused since) needs a rename by hand.
      throw new Error(
        `${this.file} is not a valid Berth users file (${describeIssues(parsed.error)}); fix that entry, restore the file or move it away`,
      );
    }
    // Keyed by user names: a map without a prototype, so that no name reaches Object.prototype.
    const data: UsersData = { users: Object.assign(Object.create(null) as UsersData['users'], parsed.data.users) };
    this.cache = { version, data };
    return data;
  }
}
