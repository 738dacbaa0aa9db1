import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BACKUP_EXTENSION, backupToFile, defaultBackupName, liveWarning } from '../../client/transfer/backup-file';
import { formatSize } from '../../client/transfer/progress';
import { BerthError } from '../../protocol';
import type { Services } from '../services';
import { showError } from './errors';
import { resolveWorkspace } from './resolve';
import { withTransferProgress } from './transfer-progress';

const STOP = 'Back Up (stop it)';
const LIVE = 'Back Up Live';

/**
 * Berth: Back Up Workspace…: its home, definition and SSH host key into one file the user chooses.
 * A running workspace is stopped for a consistent copy and started again (or, chosen, copied live);
 * the bytes show with rate and time left; a cancelled or failed backup leaves no file under the name.
 */
export async function backupWorkspace(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg, ['running', 'stopped', 'failed'], { archived: false });
  if (!target) return;
  const { connection, workspace } = target;
  const uri = await vscode.window.showSaveDialog({
    title: `Back Up ${workspace.name}`,
    saveLabel: 'Back Up',
    defaultUri: vscode.Uri.file(path.join(os.homedir(), defaultBackupName(workspace.name, new Date()))),
    filters: { 'Berth backup': [BACKUP_EXTENSION] },
  });
  if (!uri) return;
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(
      `Berth: a backup is written to a file on this machine; ${uri.toString()} is not one.`,
    );
    return;
  }
  let live = false;
  if (workspace.state === 'running') {
    const choice = await vscode.window.showWarningMessage(
      `"${workspace.name}" is running. Stop it for the backup?`,
      {
        modal: true,
        detail: `A consistent copy needs it stopped: it is stopped for the copy and started again once the copy is done. "${LIVE}" leaves it running, ${liveWarning(workspace.name)}.`,
      },
      STOP,
      LIVE,
    );
    if (!choice) return;
    live = choice === LIVE;
  }
  const file = uri.fsPath;
  const ref = { name: workspace.name, owner: workspace.owner };
  try {
    const result = await withTransferProgress(
      services,
      `Backing up ${workspace.name}`,
      workspace.disk?.home ?? null,
      (steps) =>
        backupToFile(connection.liveClient(), ref, file, {
          live,
          signal: steps.signal,
          onProgress: steps.onProgress,
          onBytes: steps.onBytes,
          stderr: steps.output,
        }),
    );
    const stopped = result.stopped ? '; stopped for the copy and started again' : '';
    const copied = live ? '; copied while it ran' : '';
    void vscode.window.showInformationMessage(
      `Backed up ${workspace.name} to ${path.basename(file)} (${formatSize(result.bytes)}${stopped}${copied}). The file holds its SSH host key: keep it private.`,
    );
  } catch (err) {
    if (err instanceof BerthError && err.code === 'cancelled') {
      void vscode.window.showInformationMessage(`The backup of ${workspace.name} was cancelled; no file was written.`);
      return;
    }
    showError(services, `back up ${workspace.name}`, err);
  }
}
