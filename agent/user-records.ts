import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { BerthError, UserName, type TokenInfo } from '../protocol';

/**
 * One token of `users.json`. Files from before tokens had ids hold only `sha256` and `createdAt`:
 * they are read as they are, with an id derived from the hash, and written back with it.
 */
const TokenRecord = z
  .object({
    id: z.string().optional(),
    /** SHA-256 of the token: tokens are 192-bit random, so a fast hash is enough and nothing reversible is kept. */
    sha256: z.string(),
    createdAt: z.string(),
    label: z.string().optional(),
    /** Updated at most every {@link TOUCH_INTERVAL_MS}, so a busy agent does not rewrite the file per connection. */
    lastUsedAt: z.string().optional(),
    /** Revoked tokens stay as tombstones, so that a client using one is told it was revoked. */
    revokedAt: z.string().optional(),
  })
  .transform(({ id, ...token }) => ({ id: id ?? legacyTokenId(token.sha256), ...token }));
export type TokenRecord = z.output<typeof TokenRecord>;

/** One authorized key: the `TYPE BASE64` line sshd reads, plus what people recognise it by. */
const KeyRecord = z.union([
  // Files from before keys kept their comment and time hold the bare line.
  z.string().transform((key) => ({ key, comment: '' })),
  z.object({ key: z.string(), comment: z.string(), addedAt: z.string().optional() }),
]);
export type KeyRecord = { key: string; comment: string; addedAt?: string };

const UserEntry = z.object({
  admin: z.boolean(),
  tokens: z.array(TokenRecord),
  keys: z.array(KeyRecord),
  /** The most GPUs the user may hold at once; absent: the agent's default. */
  gpuQuota: z.number().int().min(0).optional(),
  /** A soft quota on the bytes of the user's homes and writable layers: over it, creates are refused. */
  diskQuota: z.number().int().min(0).optional(),
});
export type UserEntry = {
  admin: boolean;
  tokens: TokenRecord[];
  keys: KeyRecord[];
  gpuQuota?: number;
  diskQuota?: number;
};

/** The schema of `users.json`; parsing migrates files of earlier versions (nothing is dropped). */
export const UsersFile = z.object({ users: z.record(UserName, UserEntry) });
export type UsersData = { users: Record<string, UserEntry> };

/** How stale a token's `lastUsedAt` may get before a connection with it rewrites the file. */
export const TOUCH_INTERVAL_MS = 60_000;

/** The SHA-256 (hex) a token is stored as. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** The stable id of a token stored before ids existed: derived from its hash, so every reader agrees. */
export function legacyTokenId(sha256: string): string {
  return createHash('sha256').update(`berth-token-id:${sha256}`).digest('hex').slice(0, 8);
}

/** A fresh random token id that no token in `data` has. */
export function newTokenId(data: UsersData): string {
  const taken = new Set(Object.values(data.users).flatMap((entry) => entry.tokens.map((t) => t.id)));
  for (;;) {
    const id = randomBytes(4).toString('hex');
    if (!taken.has(id)) return id;
  }
}

/** Checks a token label: printable text of at most 64 characters. */
export function checkLabel(label: string): string {
  const trimmed = label.trim();
  if (!/^[^\p{Cc}]{1,64}$/u.test(trimmed)) {
    throw new BerthError(
      'invalid_params',
      `label: must be 1–64 printable characters (e.g. "alice-laptop"), got ${JSON.stringify(label)}`,
    );
  }
  return trimmed;
}

/** How a token is listed: its id and times, never its hash. */
export function tokenInfo(user: string, entry: UserEntry, token: TokenRecord, currentId?: string): TokenInfo {
  return {
    id: token.id,
    user,
    admin: entry.admin,
    label: token.label ?? null,
    createdAt: token.createdAt,
    lastUsedAt: token.lastUsedAt ?? null,
    current: token.id === currentId,
  };
}

/** Every live (not revoked) token of `data`, with its user, oldest first per user. */
export function liveTokens(data: UsersData): { user: string; entry: UserEntry; token: TokenRecord }[] {
  return Object.entries(data.users).flatMap(([user, entry]) =>
    entry.tokens.filter((token) => !token.revokedAt).map((token) => ({ user, entry, token })),
  );
}

/** A fingerprint as people paste it: with or without the `SHA256:` prefix. */
export function sameFingerprint(a: string, b: string): boolean {
  const bare = (text: string) => text.trim().replace(/^SHA256:/i, '');
  return bare(a) === bare(b);
}

/** A user as `berth user ls` shows them. */
export interface UserSummary {
  name: string;
  admin: boolean;
  /** Live tokens. */
  tokens: number;
  keys: number;
  gpuQuota: number | null;
  diskQuota: number | null;
  /** The latest use of any of their live tokens (ISO time), or null. */
  lastUsedAt: string | null;
}

/** What `berth user ls` shows of one entry. */
export function userSummary(name: string, entry: UserEntry): UserSummary {
  const live = entry.tokens.filter((t) => !t.revokedAt);
  const used = live.map((t) => t.lastUsedAt ?? '').sort();
  return {
    name,
    admin: entry.admin,
    tokens: live.length,
    keys: entry.keys.length,
    gpuQuota: entry.gpuQuota ?? null,
    diskQuota: entry.diskQuota ?? null,
    lastUsedAt: used[used.length - 1] || null,
  };
}
