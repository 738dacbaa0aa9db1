import * as vscode from 'vscode';
import { addHost } from './addHost';
import { cancelWaiting } from './cancel';
import { connectWorkspace } from './connect';
import { copySshCommand } from './copySshCommand';
import { createWorkspace } from './create';
import { deleteWorkspace } from './delete';
import type { CommandId } from './ids';
import { keepRunning } from './keepRunning';
import { openTerminal } from './openTerminal';
import { reconnectHost } from './reconnectHost';
import { refresh } from './refresh';
import { removeHost } from './removeHost';
import type { Services } from '../services';
import { showLogs } from './showLogs';
import { startWorkspace } from './start';
import { stopWorkspace } from './stop';
import { restartWorkspace } from './restart';
import { updateWorkspace } from './update';
import { showDetails } from './showDetails';
import { setSecret } from './setSecret';
import { showSecrets } from './showSecrets';
import { archiveWorkspace, unarchiveWorkspace } from './archive';
import { restoreFromTrash } from './restoreFromTrash';
import { createFromDevcontainer } from './createFromDevcontainer';
import { rebuildWorkspace } from './rebuild';
import { setDotfiles } from './setDotfiles';
import { backupWorkspace } from './backup';
import { restoreBackup } from './restoreBackup';
import { moveToHost } from './moveToHost';

type Handler = (services: Services, arg?: unknown) => Promise<void>;

/** Every command's handler; a command id without one does not compile. */
const HANDLERS: Record<CommandId, Handler> = {
  'berth.host.add': addHost,
  'berth.host.remove': removeHost,
  'berth.host.reconnect': reconnectHost,
  'berth.refresh': refresh,
  'berth.workspace.create': createWorkspace,
  'berth.workspace.start': startWorkspace,
  'berth.workspace.stop': stopWorkspace,
  'berth.workspace.delete': deleteWorkspace,
  'berth.workspace.connect': connectWorkspace,
  'berth.workspace.openTerminal': openTerminal,
  'berth.workspace.showLogs': showLogs,
  'berth.workspace.copySshCommand': copySshCommand,
  'berth.workspace.keepRunning': keepRunning,
  'berth.workspace.restart': restartWorkspace,
  'berth.workspace.update': updateWorkspace,
  'berth.workspace.cancel': cancelWaiting,
  'berth.workspace.showDetails': showDetails,
  'berth.secret.set': setSecret,
  'berth.secret.list': showSecrets,
  'berth.workspace.archive': archiveWorkspace,
  'berth.workspace.unarchive': unarchiveWorkspace,
  'berth.trash.restore': restoreFromTrash,
  'berth.workspace.createFromDevcontainer': createFromDevcontainer,
  'berth.workspace.rebuild': rebuildWorkspace,
  'berth.dotfiles.set': setDotfiles,
  'berth.workspace.backup': backupWorkspace,
  'berth.backup.restore': restoreBackup,
  'berth.workspace.move': moveToHost,
};

/** Registers every command; tree items arrive as the first argument, palette calls get none. */
export function registerCommands(services: Services): vscode.Disposable[] {
  return Object.entries(HANDLERS).map(([id, handler]) =>
    vscode.commands.registerCommand(id, (arg?: unknown) =>
      handler(services, arg).catch((err: unknown) => services.log.error(`${id} failed: ${String(err)}`)),
    ),
  );
}
