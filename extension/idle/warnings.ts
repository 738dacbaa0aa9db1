import * as vscode from 'vscode';
import type { ClientEvent } from '../../client/agent-client';
import { keepWorkspaceRunning } from '../commands/keepRunning';
import type { Target } from '../commands/resolve';
import type { Services } from '../services';
import type { HostConnection } from '../hosts/connection';
import type { WorkspaceAddress } from './alias';
import { clockTime } from '../wording/countdown';
import { missedWarnings, type IdleWarning, type PendingWarnings } from './pending';
import { shouldNotify, type NotifyScope } from './scope';

const KEEP = 'Keep Running';
const STOP = 'Stop Now';

/** The host connection and workspace a warning is about, if this window knows it. */
function warned(services: Services, warning: IdleWarning): Target | undefined {
  for (const connection of services.manager.all()) {
    const workspace = connection.workspaces.get(warning.id);
    if (workspace) return { connection, workspace };
  }
  return undefined;
}

/**
 * Shows each new idle warning of the agents as a warning notification with "Keep Running" (the
 * agent's default keepalive) and "Stop Now"; a warning whose deadline is already pending is not shown
 * twice. Warnings are recorded in `pending` for the status bar whether shown or not. When a host
 * (re)connects, the warnings sent while this window was not connected are caught up from `idle.status`.
 */
export function registerWarnings(
  services: Services,
  pending: PendingWarnings,
  address: WorkspaceAddress | undefined,
): vscode.Disposable {
  const show = (warning: IdleWarning, target: Target | undefined) => {
    if (!target || target.connection.status.kind !== 'connected' || !pending.warn(warning)) return;
    const scope = vscode.workspace.getConfiguration('berth.idle').get<NotifyScope>('notify', 'owned');
    const me = target.connection.status.welcome.user.name;
    const warnedWs = { hostId: target.connection.host.id, name: target.workspace.name, owner: target.workspace.owner };
    if (!shouldNotify(warnedWs, me, address, scope)) return;
    const { name, stopAt, reason } = warning;
    services.log.info(`idle warning: ${name} stops at ${stopAt} (${reason})`);
    void vscode.window
      .showWarningMessage(`Berth: workspace ${name} stops at ${clockTime(stopAt)} — ${reason}`, KEEP, STOP)
      .then(async (choice) => {
        if (choice === KEEP) {
          pending.clear(warning.id);
          await keepWorkspaceRunning(services, target);
        } else if (choice === STOP) {
          const node = { kind: 'workspace', hostId: target.connection.host.id, workspace: target.workspace };
          await vscode.commands.executeCommand('berth.workspace.stop', node);
        }
      });
  };
  const catchUp = async (connection: HostConnection) => {
    try {
      const status = await connection.request('idle.status', {});
      for (const warning of missedWarnings(status, (name, owner) => connection.find(name, owner)?.id)) {
        const workspace = connection.workspaces.get(warning.id);
        show(warning, workspace && { connection, workspace });
      }
    } catch (err) {
      services.log.warn(`could not read the idle status of ${connection.host.label}: ${String(err)}`);
    }
  };
  const connected = new WeakSet<HostConnection>();
  const follow = (event?: ClientEvent) => {
    if (event?.event === 'workspace.idleWarning') return show(event.data, warned(services, event.data));
    for (const connection of services.manager.all()) {
      if (connection.status.kind !== 'connected') connected.delete(connection);
      else if (!connected.has(connection)) {
        connected.add(connection);
        void catchUp(connection);
      }
    }
  };
  const subscription = services.manager.onDidChange(follow);
  follow();
  return subscription;
}
