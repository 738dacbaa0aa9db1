import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { UserName, UserSettings } from '../protocol';
import { writeFileAtomic } from '../util/files';

/** `settings.json` in the state directory: each user's {@link UserSettings}. */
const SettingsFile = z.object({ users: z.record(UserName, UserSettings) });

/**
 * Users' own settings, kept in one 0600 file apart from the workspace state. Every change is saved
 * (atomically) before it is answered or used; changes are made one at a time.
 */
export class SettingsStore {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private data: z.infer<typeof SettingsFile>,
  ) {}

  /** Reads `file`; a missing file is no settings. A file that is not valid refuses to start the agent. */
  static async open(file: string): Promise<SettingsStore> {
    const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (text === null) return new SettingsStore(file, { users: {} });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    const parsed = SettingsFile.safeParse(json);
    if (!parsed.success) throw new Error(`${file} is not a Berth settings file; move it away to start afresh`);
    return new SettingsStore(file, parsed.data);
  }

  get(user: string): UserSettings {
    return { ...(Object.hasOwn(this.data.users, user) ? this.data.users[user] : {}) };
  }

  /** Saves `user`'s settings with `changes` applied (null: removed), then uses them. */
  set(user: string, changes: { dotfiles?: string | null | undefined }): Promise<UserSettings> {
    const next = this.queue.then(async () => {
      const settings = this.get(user);
      if (changes.dotfiles === null) delete settings.dotfiles;
      else if (changes.dotfiles !== undefined) settings.dotfiles = changes.dotfiles;
      const users = { ...this.data.users };
      if (Object.keys(settings).length) users[user] = settings;
      else delete users[user];
      await writeFileAtomic(this.file, `${JSON.stringify({ users }, null, 2)}\n`);
      this.data = { users };
      return this.get(user);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
