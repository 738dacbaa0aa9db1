import type { HostConnection } from '../hosts/connection';
import type { HostsTally } from '../wording/usage';

/** Hosts added, connected, and the user's own running workspaces on the connected ones. */
export function tallyHosts(connections: readonly Pick<HostConnection, 'status' | 'workspaces'>[]): HostsTally {
  let connected = 0;
  let running = 0;
  for (const { status, workspaces } of connections) {
    if (status.kind !== 'connected') continue;
    connected++;
    const me = status.welcome.user.name;
    for (const ws of workspaces.values()) if (ws.state === 'running' && ws.owner === me) running++;
  }
  return { hosts: connections.length, connected, running };
}

/** The tooltip: one line per host (`Lab Host: 2 running`, `Lab Host: not connected`), then what a click does. */
export function hostsTooltip(connections: readonly Pick<HostConnection, 'status' | 'workspaces' | 'host'>[]): string {
  const lines = connections.map(({ host, status, workspaces }) => {
    if (status.kind === 'connecting') return `${host.label}: connecting…`;
    if (status.kind === 'error') return `${host.label}: not connected (${status.message})`;
    const me = status.welcome.user.name;
    const running = [...workspaces.values()].filter((ws) => ws.state === 'running' && ws.owner === me).length;
    return `${host.label}: ${running} running`;
  });
  return [...(lines.length ? lines : ['No Berth host yet']), 'Click to open the Berth view'].join('\n');
}
