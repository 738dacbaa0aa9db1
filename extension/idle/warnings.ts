import * as vscode from 'vscode';
import type { ClientEvent } from '../../client/agent-client';
import { keepWorkspaceRunning, offerStart } from '../commands/keepRunning';
import type { Target } from '../commands/resolve';
import type { Services } from '../services';
import type { HostConnection } from '../hosts/connection';
import type { WorkspaceAddress } from './alias';
import { clockTime } from '../wording/countdown';
import { missedWarnings, type IdleWarning, type PendingWarnings } from './pending';
import { shouldNotify, type NotifyScope } from './scope';

/** The commands behind the warning's links (internal: not in the palette). */
const KEEP_COMMAND = 'berth.idle.warning.keep';
const STOP_COMMAND = 'berth.idle.warning.stop';

/** The host connection and workspace a warning is about, if this window knows it. */
function warned(services: Services, id: string): Target | undefined {
  for (const connection of services.manager.all()) {
    const workspace = connection.workspaces.get(id);
    if (workspace) return { connection, workspace };
  }
  return undefined;
}

/** A link in a notification that runs `command` with the workspace id. */
const link = (label: string, command: string, id: string) =>
  `[${label}](command:${command}?${encodeURIComponent(JSON.stringify([id]))})`;

/**
 * Shows each new idle warning of the agents as a notification with "Keep Running" (the agent's
 * default keepalive) and "Stop Now"; a warning whose deadline is already pending is not shown twice.
 * Warnings are recorded in `pending` for the status bar whether shown or not. When a host
 * (re)connects, the warnings sent while this window was not connected are caught up from `idle.status`.
 *
 * The warning is a progress notification, the one kind VS Code lets an extension close: it is
 * withdrawn as soon as a `workspace.changed` shows the deadline gone (kept running, activity, a stop);
 * after an idle stop the user is told so and offered Start. Its actions are links in its message
 * (a progress notification has no buttons of its own).
 */
export function registerWarnings(
  services: Services,
  pending: PendingWarnings,
  address: WorkspaceAddress | undefined,
): vscode.Disposable {
  /** The warnings on screen, by workspace id: how to withdraw each, and the deadline it shows. */
  const shown = new Map<string, { stopAt: number; withdraw: () => void }>();
  /** The workspaces this window warned of, until they stop: an automatic stop is told, with Start. */
  const watched = new Set<string>();
  const withdraw = (id: string) => {
    shown.get(id)?.withdraw();
    shown.delete(id);
  };
  const show = (warning: IdleWarning, target: Target | undefined) => {
    if (!target || target.connection.status.kind !== 'connected') return;
    target.connection.noteWarning(warning.id, warning.stopAt);
    if (!pending.warn(warning)) return;
    const scope = vscode.workspace.getConfiguration('berth.idle').get<NotifyScope>('notify', 'owned');
    const me = target.connection.status.welcome.user.name;
    const warnedWs = { hostId: target.connection.host.id, name: target.workspace.name, owner: target.workspace.owner };
    if (!shouldNotify(warnedWs, me, address, scope)) return;
    const { id, name, stopAt, reason } = warning;
    services.log.info(`idle warning: ${name} stops at ${stopAt} (${reason})`);
    withdraw(id);
    watched.add(id);
    const actions = `${link('Keep Running', KEEP_COMMAND, id)} · ${link('Stop Now', STOP_COMMAND, id)}`;
    void vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        // The actions before the reason: a toast shows one line of its message until it is expanded.
        title: `Berth: ${name} stops at ${clockTime(stopAt)}: ${actions} (${reason})`,
      },
      () =>
        new Promise<void>((resolve) => {
          shown.set(id, { stopAt: Date.parse(stopAt), withdraw: resolve });
        }),
    );
  };
  /** A new view of a warned workspace: the warning goes once its deadline did; an idle stop offers Start. */
  const review = (event: ClientEvent | undefined) => {
    if (event?.event === 'workspace.removed') {
      watched.delete(event.data.id);
      return withdraw(event.data.id);
    }
    if (event?.event !== 'workspace.changed') return;
    const ws = event.data.workspace;
    const warning = shown.get(ws.id);
    const deadline = ws.idleStopAt ? Date.parse(ws.idleStopAt) : undefined;
    const same =
      warning && ws.state === 'running' && deadline !== undefined && Math.abs(deadline - warning.stopAt) < 1_000;
    if (warning && !same) withdraw(ws.id);
    // Whether it was an automatic stop shows once it is `stopped` (it goes through `stopping`).
    if (!watched.has(ws.id) || ws.state === 'running' || ws.state === 'stopping') return;
    watched.delete(ws.id);
    const target = warned(services, ws.id);
    if (target && ws.state === 'stopped' && ws.stopReason && ws.stopReason !== 'user') {
      void offerStart(services, { connection: target.connection, workspace: ws });
    }
  };
  const act = (command: string, run: (target: Target) => PromiseLike<unknown>) =>
    vscode.commands.registerCommand(command, async (id: unknown) => {
      if (typeof id !== 'string') return;
      withdraw(id);
      watched.delete(id);
      const target = warned(services, id);
      if (target) await run(target);
    });
  const commands = [
    act(KEEP_COMMAND, (target) => {
      pending.clear(target.workspace.id);
      return keepWorkspaceRunning(services, target);
    }),
    act(STOP_COMMAND, (target) => {
      const node = { kind: 'workspace', hostId: target.connection.host.id, workspace: target.workspace };
      return vscode.commands.executeCommand('berth.workspace.stop', node);
    }),
  ];
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
    review(event);
    if (event?.event === 'workspace.idleWarning') return show(event.data, warned(services, event.data.id));
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
  return vscode.Disposable.from(subscription, ...commands, {
    dispose: () => {
      for (const id of [...shown.keys()]) withdraw(id);
    },
  });
}
