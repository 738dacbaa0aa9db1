// The `berth.dotfiles.repository` setting pushed to each host's agent; free of `vscode` (tested in Node).
import { BerthError, CloneUrl } from '../../protocol';
import type { HostConnection } from '../hosts/connection';
import type { HostStatus } from '../hosts/host';

/** The VS Code setting: the dotfiles repository for every host the user added. */
export const DOTFILES_SETTING = 'berth.dotfiles.repository';

/**
 * The setting's value as the user set it (empty when unset): only their User settings' (global)
 * value. A folder's or workspace's `.vscode/settings.json` is the repository's word, not the user's:
 * it must not pick the repository every new workspace on every host runs the install script of.
 */
export function userDotfiles(inspected: { globalValue?: unknown } | undefined): string {
  return typeof inspected?.globalValue === 'string' ? inspected.globalValue : '';
}

/** Why `value` cannot be the dotfiles repository, in the protocol's words; null when it can (or is empty). */
export function dotfilesProblem(value: string): string | null {
  if (!value.trim()) return null;
  const parsed = CloneUrl.safeParse(value.trim());
  return parsed.success ? null : `The dotfiles repository ${parsed.error.issues[0]?.message ?? 'is not a git URL'}`;
}

/** What a push did on one host: set it, found it the same, left it (no setting), or the agent has no settings. */
export type PushOutcome = 'set' | 'same' | 'left' | 'unsupported';

/**
 * Makes `connection`'s agent hold `wanted` as the user's dotfiles. The agent's setting is the one
 * workspaces use (and `berth config` shows); the VS Code setting wins over it only when set: an
 * empty one leaves each host's as it is. An agent older than settings is left alone.
 */
export async function pushDotfiles(connection: Pick<HostConnection, 'request'>, wanted: string): Promise<PushOutcome> {
  const url = wanted.trim();
  if (!url) return 'left';
  try {
    const { settings } = await connection.request('settings.get', {});
    if (settings.dotfiles === url) return 'same';
    await connection.request('settings.set', { dotfiles: url });
    return 'set';
  } catch (err) {
    if (err instanceof BerthError && err.code === 'unknown_method') return 'unsupported';
    throw err;
  }
}

/** What {@link DotfilesSync} works with: the hosts' connections, the setting, and where to say what it did. */
export interface DotfilesSyncDeps {
  connections: () => Pick<HostConnection, 'request' | 'status' | 'host'>[];
  setting: () => string;
  log: { info(message: string): void; warn(message: string): void };
  /** A setting that is no git URL, said once per value. */
  refused: (problem: string) => void;
  /**
   * Runs `fire` once the setting has rested (the Settings editor writes on each keystroke); returns
   * a cancel. By default a second's timer; tests pass their own.
   */
  debounce?: (fire: () => void) => () => void;
}

/** How long the setting must rest before it is pushed. */
export const DOTFILES_DEBOUNCE_MS = 1_000;

/** What one host's push came to: its outcome, or why it failed. */
export interface HostPush {
  label: string;
  outcome?: PushOutcome;
  error?: unknown;
}

type Connection = Pick<HostConnection, 'request' | 'status' | 'host'>;

/**
 * Pushes the setting to every connected host when it changes ({@link settingChanged}, once it has
 * rested) and to a host each time it (re)connects ({@link hostsChanged}, called on any change of the
 * hosts). Each host's pushes run one at a time, in order, and each pushes the setting as it is when
 * it runs: an older push never lands after a newer one.
 */
export class DotfilesSync {
  /** The connected status and setting generation each host was pushed for: a reconnect is a new status. */
  private readonly pushedFor = new Map<string, { status: HostStatus; generation: number }>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private generation = 0;
  private refusedValue: string | null = null;
  private pending: { cancel: () => void; waiters: (() => void)[] } | null = null;

  constructor(private readonly deps: DotfilesSyncDeps) {}

  /** The setting changed: once it rests, every connected host gets it. Resolves when that push is done. */
  settingChanged(): Promise<void> {
    return new Promise((resolve) => {
      const waiters = [...(this.pending?.waiters ?? []), resolve];
      this.pending?.cancel();
      const debounce =
        this.deps.debounce ??
        ((fire: () => void) => {
          const timer = setTimeout(fire, DOTFILES_DEBOUNCE_MS);
          return () => clearTimeout(timer);
        });
      const pending = {
        waiters,
        cancel: debounce(() => {
          if (this.pending !== pending) return;
          this.pending = null;
          void this.pushNow().then(() => waiters.forEach((wake) => wake()));
        }),
      };
      this.pending = pending;
    });
  }

  /** Every connected host gets the setting now (a command that just set it): what each push came to. */
  pushNow(): Promise<HostPush[]> {
    const waiters = this.pending?.waiters ?? [];
    this.pending?.cancel();
    this.pending = null;
    this.generation += 1;
    return this.round().finally(() => waiters.forEach((wake) => wake()));
  }

  /** Drops a push still waiting for the setting to rest. */
  dispose(): void {
    this.pending?.cancel();
    this.pending?.waiters.forEach((wake) => wake());
    this.pending = null;
  }

  /** Hosts or their connections changed: each newly connected one gets the setting. */
  async hostsChanged(): Promise<void> {
    await this.round();
  }

  /** Removes the dotfiles from every connected host, in turn with any push to it. */
  removeFromConnected(): Promise<HostPush[]> {
    const connected = this.deps.connections().filter((c) => c.status.kind === 'connected');
    return Promise.all(
      connected.map((c) =>
        this.enqueue(c.host.id, async (): Promise<HostPush> => {
          try {
            await c.request('settings.set', { dotfiles: null });
            return { label: c.host.label };
          } catch (err) {
            return { label: c.host.label, error: err };
          }
        }),
      ),
    );
  }

  private round(): Promise<HostPush[]> {
    const wanted = this.deps.setting().trim();
    const problem = dotfilesProblem(wanted);
    if (problem) {
      if (this.refusedValue !== wanted) this.deps.refused(`${problem}; it is not set on your hosts.`);
      this.refusedValue = wanted;
      return Promise.resolve([]);
    }
    this.refusedValue = null;
    const generation = this.generation;
    const due = this.deps.connections().filter((c) => {
      const pushed = this.pushedFor.get(c.host.id);
      return c.status.kind === 'connected' && (pushed?.status !== c.status || pushed.generation !== generation);
    });
    return Promise.all(
      due.map((connection) => {
        this.pushedFor.set(connection.host.id, { status: connection.status, generation });
        return this.enqueue(connection.host.id, () => this.pushOne(connection));
      }),
    );
  }

  /** One host's push, of the setting as it is now (not as it was when the push was queued). */
  private async pushOne(connection: Connection): Promise<HostPush> {
    const label = connection.host.label;
    const wanted = this.deps.setting().trim();
    // Changed to something refused meanwhile: its own round says so; nothing is pushed.
    if (dotfilesProblem(wanted)) return { label, outcome: 'left' };
    try {
      const outcome = await pushDotfiles(connection, wanted);
      if (outcome === 'set') this.deps.log.info(`dotfiles on ${label} set to ${wanted}`);
      if (outcome === 'unsupported') this.deps.log.warn(`${label}: its agent has no settings; dotfiles not set there`);
      return { label, outcome };
    } catch (err) {
      // Tried again at the next reconnect or change of the setting, not at every event.
      this.deps.log.warn(`set the dotfiles on ${label}: ${String(err)}`);
      return { label, error: err };
    }
  }

  /** Runs `job` after every earlier job for `hostId`: one host's requests never overtake each other. */
  private enqueue<T>(hostId: string, job: () => Promise<T>): Promise<T> {
    const next = (this.queues.get(hostId) ?? Promise.resolve()).catch(() => undefined).then(job);
    this.queues.set(hostId, next);
    void next
      .catch(() => undefined)
      .then(() => {
        if (this.queues.get(hostId) === next) this.queues.delete(hostId);
      });
    return next;
  }
}
