import { isArchived } from '../state/record';
import { errorMessage, type Logger } from '../../util/log';
import { archive } from './archive';
import type { WorkspaceService } from './service';

/** How often stopped workspaces are looked at, at most (a shorter period looks more often). */
const MAX_CHECK_MS = 60_000;

/**
 * Archive after a long idle period (`berth serve --archive-after`, off by default): a workspace
 * stopped for longer than `afterMs` (by anyone, for any reason) is archived, which frees its SSH port
 * and keeps its home, definition and host key. One that an operation holds is left for the next look.
 */
export class AutoArchive {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly service: WorkspaceService,
    private readonly afterMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.afterMs <= 0) return;
    const every = Math.max(1000, Math.min(MAX_CHECK_MS, Math.floor(this.afterMs / 4)));
    this.timer = setInterval(() => void this.check(), every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Archives every workspace stopped for longer than the period; one look at a time. */
  check(): Promise<void> {
    this.running ??= (async () => {
      const now = Date.now();
      const due = this.service.deps.store
        .all()
        .filter((r) => r.state === 'stopped' && !isArchived(r) && !this.service.isBusy(r.id))
        .filter((r) => now - Date.parse(r.since) >= this.afterMs);
      for (const record of due) {
        try {
          await archive(this.service, { name: record.owner, admin: false }, { name: record.name }, { requestId: null });
          this.log.info(`archived ${record.owner}/${record.name}: stopped since ${record.since} (--archive-after)`);
        } catch (err) {
          this.log.warn(`could not archive ${record.owner}/${record.name}: ${errorMessage(err)}`);
        }
      }
    })().finally(() => (this.running = null));
    return this.running;
  }
}
