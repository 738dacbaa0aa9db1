import { AgentClient } from '../../client/agent-client';
import { HostConnection } from '../../extension/hosts/connection';
import type { HostStatus } from '../../extension/hosts/host';
import type { Workspace } from '../../protocol';

/** A HostConnection under observation: every client its connector opened, and every status it went through. */
export interface WatchedConnection {
  connection: HostConnection;
  /** Clients the connector returned, in order; its call count is `attempts`. */
  clients: AgentClient[];
  /** How often the connection called its connector. */
  attempts(): number;
  /** Every status it took, in order, from `connect()` on. */
  statuses: HostStatus[];
  /** When each workspace (by id) was first seen in each state, by the connection's change listener. */
  seen: Map<string, Map<Workspace['state'], number>>;
}

/**
 * A HostConnection to `url` with `token`, using the default connector (the real AgentClient) wrapped
 * only to count its calls; connected right away. Dispose `connection` when done.
 */
export function watchConnection(url: string, token: string | undefined, label = 'Lab'): WatchedConnection {
  let attempts = 0;
  const clients: AgentClient[] = [];
  const connection = new HostConnection(
    { id: label.toLowerCase(), label, url },
    () => Promise.resolve(token),
    async (target, secret) => {
      attempts++;
      const client = await AgentClient.connect(target, secret);
      clients.push(client);
      return client;
    },
  );
  const statuses: HostStatus[] = [];
  const seen = new Map<string, Map<Workspace['state'], number>>();
  connection.onDidChange(() => {
    if (statuses.at(-1) !== connection.status) statuses.push(connection.status);
    for (const ws of connection.workspaces.values()) {
      const states = seen.get(ws.id) ?? new Map<Workspace['state'], number>();
      if (!states.has(ws.state)) states.set(ws.state, Date.now());
      seen.set(ws.id, states);
    }
  });
  connection.connect();
  return { connection, clients, attempts: () => attempts, statuses, seen };
}
