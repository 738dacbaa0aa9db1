import * as vscode from 'vscode';
import { checkMove, moveWorkspace, type MoveEnds } from '../../client/transfer/move';
import { BerthError, type Workspace } from '../../protocol';
import type { HostConnection } from '../hosts/connection';
import type { Services } from '../services';
import { localTime } from '../wording/describe';
import { showError } from './errors';
import { resolveWorkspace } from './resolve';
import { withTransferProgress } from './transfer-progress';

const MOVE = 'Move';
const ADD_HOST = 'Add Host…';

/** The hosts a workspace on `source` can move to: the others the user added, on another agent. */
export function moveTargets(all: HostConnection[], source: HostConnection): HostConnection[] {
  return all.filter((connection) => connection !== source && connection.host.url !== source.host.url);
}

/** The host the user picks among the others they added; undefined when none is (they are told) or they back out. */
async function pickTarget(
  services: Services,
  source: HostConnection,
  name: string,
): Promise<HostConnection | undefined> {
  const others = moveTargets(services.manager.all(), source);
  if (!others.length) {
    const choice = await vscode.window.showInformationMessage(
      `Berth: to move ${name}, add the host to move it to first; a workspace moves only to hosts you have added.`,
      ADD_HOST,
    );
    if (choice === ADD_HOST) await vscode.commands.executeCommand('berth.host.add');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    others.map((connection) => ({
      label: connection.host.label,
      description:
        connection.status.kind === 'connected' ? connection.host.url : `not connected · ${connection.host.url}`,
      connection,
    })),
    { title: `Move ${name} to Host`, placeHolder: `The host to move ${name} to, from ${source.host.label}` },
  );
  if (!picked) return undefined;
  if (picked.connection.status.kind !== 'connected') {
    void vscode.window.showWarningMessage(
      `Berth: ${picked.connection.host.label} is not connected; reconnect it, then move ${name} again.`,
    );
    return undefined;
  }
  return picked.connection;
}

/** The modal question before a move; true when the user says Move. */
async function confirmMove(ws: Workspace, from: string, to: string): Promise<boolean> {
  const stop = ws.state === 'running' ? 'It is stopped for the move; its' : 'Its';
  const choice = await vscode.window.showWarningMessage(
    `Move workspace "${ws.name}" from ${from} to ${to}?`,
    {
      modal: true,
      detail: `${stop} home, settings and SSH host key are copied to ${to} and it is started there; only then is it deleted on ${from}. Cancelled or failed, it stays on ${from} as it was and nothing is left on ${to}.`,
    },
    MOVE,
  );
  return choice === MOVE;
}

/**
 * Berth: Move Workspace to Host…: moves one of the user's workspaces to another host they added,
 * by the same steps as `berth move` (client/transfer/move.ts): the target checked before any byte
 * moves, the source stopped, its backup streamed into a restore there, the source deleted only once
 * the target runs it. Cancelling keeps it on the source, started again if it ran.
 */
export async function moveToHost(services: Services, arg?: unknown): Promise<void> {
  const picked = await resolveWorkspace(services, arg, ['running', 'stopped', 'failed'], {
    own: true,
    archived: false,
  });
  if (!picked) return;
  const { connection: source, workspace } = picked;
  const target = await pickTarget(services, source, workspace.name);
  if (!target) return;
  const from = source.host.label;
  const to = target.host.label;
  const action = `move ${workspace.name} to ${to}`;
  let ends: MoveEnds;
  let ws: Workspace;
  try {
    ends = {
      source: source.liveClient(),
      target: target.liveClient(),
      sourceHost: from,
      targetHost: to,
      sourceUrl: source.host.url,
      targetUrl: target.host.url,
    };
    ws = await checkMove(ends, { name: workspace.name, owner: workspace.owner });
  } catch (err) {
    return showError(services, action, err);
  }
  if (!(await confirmMove(ws, from, to))) return;
  try {
    const { workspace: moved, deleted } = await withTransferProgress(
      services,
      `Moving ${ws.name} to ${to}`,
      ws.disk?.home ?? null,
      (steps) =>
        moveWorkspace(ends, ws, {
          signal: steps.signal,
          say: steps.say,
          onProgress: steps.onProgress,
          onBytes: steps.onBytes,
          output: steps.output,
        }),
    );
    const trash = deleted.trashedUntil
      ? ` (its home stays in the trash there until ${localTime(deleted.trashedUntil)})`
      : '';
    void vscode.window.showInformationMessage(
      `Moved ${moved.name} to ${to}: ${moved.state}, with the same SSH host key. Deleted it on ${from}${trash}.`,
    );
  } catch (err) {
    if (err instanceof BerthError && err.code === 'cancelled') {
      void vscode.window.showInformationMessage(
        `The move of ${ws.name} was cancelled: it stays on ${from} and nothing is left on ${to}.`,
      );
      return;
    }
    showError(services, action, err);
  }
}
