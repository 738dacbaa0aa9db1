import type { WorkspaceAddress } from './alias';

/** Which idle warnings a window shows, as the setting `berth.idle.notify` says. */
export type NotifyScope = 'owned' | 'connected';

/** A warned workspace: the host it is on, its name and its owner. */
export interface Warned {
  hostId: string;
  name: string;
  owner: string;
}

/**
 * Whether a window shows a warning: always in the window connected to that workspace; with `owned`
 * also in every other window of its owner (`me` on that host); never for other users' workspaces
 * (an admin sees their events too).
 */
export function shouldNotify(
  warned: Warned,
  me: string,
  address: WorkspaceAddress | undefined,
  scope: NotifyScope,
): boolean {
  const own = address?.hostId === warned.hostId && address.name === warned.name && warned.owner === me;
  return own || (scope === 'owned' && warned.owner === me);
}
