import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { HomeId, StoredWorkspaceSpec, UserName } from '../../protocol';
import { readJson, writeFileAtomic } from '../../util/files';
import { errorMessage, type Logger } from '../../util/log';

/** What the agent remembers of a kept home beyond its labels: whose it was and when it was last used. */
export const KeptHome = z.object({
  owner: UserName,
  name: z.string(),
  lastUsed: z.string(),
  /** Trash: set while the home is in the trash: since when, until when, and the definition to restore. */
  trash: z.object({ at: z.string(), until: z.string(), spec: StoredWorkspaceSpec }).optional(),
});
export type KeptHome = z.infer<typeof KeptHome>;

const LedgerFile = z.object({ version: z.literal(1), homes: z.record(HomeId, KeptHome) });

/**
 * `homes.json` in the state directory: the kept homes' owner and last use, written when a delete
 * keeps a home and forgotten when it is reattached or deleted. Only a listing reads it, so a file that
 * cannot be read is set aside (as homes.json.unreadable) and the figures it held shown as unknown.
 */
export class HomeLedger {
  private readonly homes = new Map<string, KeptHome>();
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {}

  static async open(stateDir: string, log: Logger): Promise<HomeLedger> {
    const ledger = new HomeLedger(path.join(stateDir, 'homes.json'), log);
    const raw = await readJson(ledger.file).catch((err: unknown) => ({ unreadable: errorMessage(err) }));
    if (raw === undefined) return ledger;
    const parsed = LedgerFile.safeParse(raw);
    if (parsed.success) {
      for (const [id, home] of Object.entries(parsed.data.homes)) ledger.homes.set(id, home);
    } else {
      log.warn(`${ledger.file} is not a valid list of kept homes; set aside, their last use is shown as unknown`);
      await fs.rename(ledger.file, `${ledger.file}.unreadable`).catch(() => undefined);
    }
    return ledger;
  }

  /** What is remembered of home `id`. */
  get(id: string): KeptHome | undefined {
    return this.homes.get(id);
  }

  /** Remembers a home kept now. */
  kept(id: string, home: KeptHome): Promise<void> {
    this.homes.set(id, home);
    return this.write();
  }

  /** Every home remembered, by id. */
  entries(): [string, KeptHome][] {
    return [...this.homes];
  }

  /** Remembers `home`, and rejects when that cannot be saved (the trash relies on it). */
  put(id: string, home: KeptHome): Promise<void> {
    this.homes.set(id, home);
    return this.write(true);
  }

  /** Forgets a home that a workspace uses again, or that was deleted. */
  forget(id: string): Promise<void> {
    if (!this.homes.delete(id)) return Promise.resolve();
    return this.write();
  }

  /**
   * Writes what memory holds, one write at a time; a failed write is logged (memory still answers),
   * and with `strict` rejects too.
   */
  private write(strict = false): Promise<void> {
    const written = this.chain.then(async () => {
      const content = { version: 1, homes: Object.fromEntries(this.homes) };
      await writeFileAtomic(this.file, JSON.stringify(content, null, 1));
    });
    this.chain = written.catch((err: unknown) => this.log.warn(`could not save ${this.file}: ${errorMessage(err)}`));
    return strict ? written : this.chain;
  }
}
