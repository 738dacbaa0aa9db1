import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { BerthError } from '../../protocol';
import { readJson, writeFileAtomic } from '../../util/files';

const KEY_BYTES = 32;
const IV_BYTES = 12;

const Entry = z.object({
  createdAt: z.string(),
  updatedAt: z.string(),
  /** AES-256-GCM: nonce, tag and ciphertext, base64. */
  iv: z.string(),
  tag: z.string(),
  data: z.string(),
});
type Entry = z.infer<typeof Entry>;

const VaultFile = z.object({
  version: z.literal(1),
  /** user → secret name → entry. */
  users: z.record(z.string(), z.record(z.string(), Entry)),
});
type VaultFile = z.infer<typeof VaultFile>;

/** A secret without its value. */
export interface SecretMeta {
  name: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * The users' secrets, encrypted at rest: `file` holds only AES-256-GCM ciphertext (the user and the
 * name are its associated data, so an entry moved to another user or name fails to decrypt), and
 * the random key lives in `keyFile`, its own 0600 file. Both are written atomically, mode 0600;
 * a copy of `file` (or of the workspace state) without `keyFile` reveals no value. Values are
 * decrypted only to be handed to a workspace at its start.
 */
export class SecretVault {
  private data: VaultFile = { version: 1, users: {} };
  private key: Buffer | null = null;
  /** One write at a time, in order. */
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    readonly keyFile: string,
  ) {}

  /** Loads the vault (an absent file is an empty vault); the key file is made at the first set. */
  static async open(file: string, keyFile: string): Promise<SecretVault> {
    const vault = new SecretVault(file, keyFile);
    const raw = await readJson(file);
    if (raw !== undefined) {
      const parsed = VaultFile.safeParse(raw);
      if (!parsed.success) {
        throw new Error(`${file} is not a valid Berth secrets file; restore it from a backup or move it away`);
      }
      vault.data = parsed.data;
    }
    return vault;
  }

  /** The secrets of `user`, by name, without values. */
  list(user: string): SecretMeta[] {
    const own = this.own(user);
    return Object.keys(own)
      .sort()
      .map((name) => ({ name, createdAt: own[name]!.createdAt, updatedAt: own[name]!.updatedAt }));
  }

  has(user: string, name: string): boolean {
    return Object.hasOwn(this.own(user), name);
  }

  /** Sets `user`'s secret `name`; true when it is new. */
  async set(user: string, name: string, value: string): Promise<{ meta: SecretMeta; created: boolean }> {
    const key = await this.loadKey(true);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(`${user}\0${name}`));
    const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    const now = new Date().toISOString();
    const old = this.own(user)[name];
    const entry: Entry = {
      createdAt: old?.createdAt ?? now,
      updatedAt: now,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    await this.commit((next) => {
      next.users[user] = { ...(next.users[user] ?? {}), [name]: entry };
    });
    return { meta: { name, createdAt: entry.createdAt, updatedAt: entry.updatedAt }, created: !old };
  }

  /** Deletes `user`'s secret `name`; false when there was none. */
  async delete(user: string, name: string): Promise<boolean> {
    if (!this.has(user, name)) return false;
    await this.commit((next) => {
      const own = { ...(next.users[user] ?? {}) };
      delete own[name];
      if (Object.keys(own).length) next.users[user] = own;
      else delete next.users[user];
    });
    return true;
  }

  /** The value of `user`'s secret `name`; `not_found` when it is not set (never the value in an error). */
  async reveal(user: string, name: string): Promise<string> {
    const entry = this.own(user)[name];
    if (!entry) {
      throw new BerthError(
        'not_found',
        `secret ${name} is not set; set it again (berth secret set ${name}) or stop using it`,
      );
    }
    const key = await this.loadKey(false);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(entry.iv, 'base64'));
      decipher.setAAD(Buffer.from(`${user}\0${name}`));
      decipher.setAuthTag(Buffer.from(entry.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(entry.data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new BerthError(
        'internal',
        `secret ${name} cannot be decrypted with ${this.keyFile} (the key file was replaced or the entry altered); set it again`,
      );
    }
  }

  private own(user: string): Record<string, Entry> {
    return Object.hasOwn(this.data.users, user) ? this.data.users[user]! : {};
  }

  /** Writes the vault with `change` made; memory changes only once the file is on disk. */
  private commit(change: (next: VaultFile) => void): Promise<void> {
    const run = this.writing.then(async () => {
      const next: VaultFile = { version: 1, users: { ...this.data.users } };
      change(next);
      await writeFileAtomic(this.file, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
      this.data = next;
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  /** The key from `keyFile`; made (32 random bytes, 0600, never overwritten) when `create` and absent. */
  private async loadKey(create: boolean): Promise<Buffer> {
    if (this.key) return this.key;
    let text: string | null = await fs.readFile(this.keyFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (text === null) {
      if (!create) {
        throw new BerthError('internal', `the secrets key file ${this.keyFile} is missing; set the secrets again`);
      }
      text = randomBytes(KEY_BYTES).toString('base64');
      // 'wx': a key made meanwhile by someone else is never overwritten (that would lose every secret).
      await fs
        .writeFile(this.keyFile, `${text}\n`, { mode: 0o600, flag: 'wx' })
        .catch(async (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
          text = await fs.readFile(this.keyFile, 'utf8');
        });
    }
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length !== KEY_BYTES) {
      throw new BerthError('internal', `the secrets key file ${this.keyFile} does not hold a ${KEY_BYTES}-byte key`);
    }
    this.key = key;
    return key;
  }
}
