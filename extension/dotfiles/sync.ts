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
}

/**
 * Pushes the setting to every connected host when it changes ({@link settingChanged}) and to a host
 * each time it (re)connects ({@link hostsChanged}, called on any change of the hosts).
 */
export class DotfilesSync {
  /** The connected status each host was pushed for: a reconnect is a new status object. */
  private readonly pushedFor = new Map<string, HostStatus>();
  private refusedValue: string | null = null;

  constructor(private readonly deps: DotfilesSyncDeps) {}

  /** The setting changed: every connected host gets it. */
  settingChanged(): Promise<void> {
    this.pushedFor.clear();
    return this.hostsChanged();
  }

  /** Hosts or their connections changed: each newly connected one gets the setting. */
  async hostsChanged(): Promise<void> {
    const wanted = this.deps.setting().trim();
    const problem = dotfilesProblem(wanted);
    if (problem) {
      if (this.refusedValue !== wanted) this.deps.refused(`${problem}; it is not set on your hosts.`);
      this.refusedValue = wanted;
      return;
    }
    this.refusedValue = null;
    const due = this.deps
      .connections()
      .filter((c) => c.status.kind === 'connected' && this.pushedFor.get(c.host.id) !== c.status);
    await Promise.all(
      due.map(async (connection) => {
        this.pushedFor.set(connection.host.id, connection.status);
        try {
          const outcome = await pushDotfiles(connection, wanted);
          if (outcome === 'set') this.deps.log.info(`dotfiles on ${connection.host.label} set to ${wanted}`);
          if (outcome === 'unsupported') {
            this.deps.log.warn(`${connection.host.label}: its agent has no settings; dotfiles not set there`);
          }
        } catch (err) {
          // Tried again at the next reconnect or change of the setting, not at every event.
          this.deps.log.warn(`set the dotfiles on ${connection.host.label}: ${String(err)}`);
        }
      }),
    );
  }
}
