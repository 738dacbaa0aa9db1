import type { ClientEvent } from '../../client/agent-client';
import type { EventData, Result, Workspace } from '../../protocol';

/** An idle warning from an agent, with when it arrived. */
export type IdleWarning = EventData<'workspace.idleWarning'>;

/** Two deadlines closer than this are the same deadline (the agent rounds nothing, clocks do). */
const SAME_DEADLINE_MS = 1_000;

/**
 * The idle warnings still pending, by workspace id. A warning is pending from its arrival until its
 * `stopAt` passes, the workspace leaves `running`, or a later view of the workspace shows another
 * deadline (activity or a keepalive moved it; the agent warns again if it comes close once more).
 */
export class PendingWarnings {
  private readonly warnings = new Map<string, IdleWarning>();

  /** Records a warning; false when the same deadline was already pending (no second notification). */
  warn(warning: IdleWarning): boolean {
    const known = this.warnings.get(warning.id);
    this.warnings.set(warning.id, warning);
    return !known || Math.abs(Date.parse(known.stopAt) - Date.parse(warning.stopAt)) >= SAME_DEADLINE_MS;
  }

  /** Follows a new view of a workspace: a moved or cleared deadline, or a stop, ends its warning. */
  update(workspace: Workspace): void {
    const known = this.warnings.get(workspace.id);
    if (!known) return;
    const deadline = workspace.idleStopAt ? Date.parse(workspace.idleStopAt) : undefined;
    const moved = deadline === undefined || Math.abs(deadline - Date.parse(known.stopAt)) >= SAME_DEADLINE_MS;
    if (workspace.state !== 'running' || moved) this.warnings.delete(workspace.id);
  }

  /** Follows an agent event: a new view of a workspace updates its warning, a removal ends it. */
  follow(event: ClientEvent | undefined): void {
    if (event?.event === 'workspace.changed') this.update(event.data.workspace);
    else if (event?.event === 'workspace.removed') this.clear(event.data.id);
  }

  /** Forgets a workspace's warning (removed, or kept running from here). */
  clear(id: string): void {
    this.warnings.delete(id);
  }

  /** The pending stop time (epoch ms) of a workspace, if a warning for it is still ahead of `now`. */
  stopAt(id: string, now: number): number | undefined {
    const warning = this.warnings.get(id);
    if (!warning) return undefined;
    const at = Date.parse(warning.stopAt);
    if (at > now) return at;
    this.warnings.delete(id);
    return undefined;
  }
}

/**
 * The warnings a client that connects late missed (warnings are events, sent once): every running
 * workspace of `idle.status` whose idle stop is due within the agent's warning time, worded as the
 * agent words its warnings. `idOf` finds a workspace's id in the client's list.
 */
export function missedWarnings(
  status: Result<'idle.status'>,
  idOf: (name: string, owner: string) => string | undefined,
): IdleWarning[] {
  const now = Date.parse(status.now);
  return status.workspaces.flatMap((ws) => {
    const stopAt = ws.decision?.stopAt;
    const id = idOf(ws.name, ws.owner);
    if (ws.state !== 'running' || !stopAt || !id || Date.parse(stopAt) - now > status.settings.warnBefore * 1000) {
      return [];
    }
    return [{ id, name: ws.name, owner: ws.owner, stopAt, reason: ws.decision!.reason }];
  });
}
