import type { Services } from '../services';

/** Berth: Refresh — reconnects hosts in trouble and redraws; the tree otherwise follows agent events. */
export async function refresh(services: Services): Promise<void> {
  for (const connection of services.manager.all()) if (connection.status.kind === 'error') connection.connect();
  services.tree.refresh();
  return Promise.resolve();
}
