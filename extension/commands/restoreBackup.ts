import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BACKUP_EXTENSION } from '../../client/transfer/backup-file';
import { readBackupHead, restoreFromFile, type BackupHead } from '../../client/transfer/restore-file';
import { BerthError, WorkspaceName } from '../../protocol';
import type { HostConnection } from '../hosts/connection';
import type { Services } from '../services';
import { showError } from './errors';
import { resolveHost } from './resolve';
import { withTransferProgress } from './transfer-progress';
import { localTime } from '../wording/describe';

/** Why `value` cannot name the restored workspace on `connection`'s host, or null. */
export function restoreNameProblem(connection: HostConnection, value: string): string | null {
  const parsed = WorkspaceName.safeParse(value);
  if (!parsed.success) return parsed.error.issues[0]?.message ?? 'not a workspace name';
  return connection.find(value) ? `You already have a workspace called "${value}" here; choose another name.` : null;
}

/**
 * Berth: Restore Workspace from Backup…: a backup file (Back Up…, `berth backup`) the user picks
 * becomes a workspace of theirs on the host, under the backup's name or a new one, with its home,
 * definition and SSH host key. The agent checks every checksum as the bytes arrive and makes
 * nothing of a corrupted or truncated file.
 */
export async function restoreBackup(services: Services, arg?: unknown): Promise<void> {
  const connection = await resolveHost(services, arg);
  if (!connection || connection.status.kind !== 'connected') return;
  const host = connection.host.label;
  const picked = await vscode.window.showOpenDialog({
    title: `Restore a Backup on ${host}`,
    openLabel: 'Restore',
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    defaultUri: vscode.Uri.file(os.homedir()),
    filters: { 'Berth backup': [BACKUP_EXTENSION], 'All files': ['*'] },
  });
  const uri = picked?.[0];
  if (!uri) return;
  const file = uri.fsPath;
  const shown = path.basename(file);
  let head: BackupHead;
  let size: number;
  try {
    if (uri.scheme !== 'file') {
      throw new BerthError('invalid_params', `${uri.toString()} is not a file on this machine`);
    }
    head = await readBackupHead(file);
    size = (await fs.stat(file)).size;
  } catch (err) {
    return showError(services, `restore ${shown}`, err);
  }
  // VS Code checks the value only once it is edited: a name already taken is said at once.
  const when = `${localTime(head.createdAt)}${head.live ? ', while it ran' : ''}`;
  const taken = restoreNameProblem(connection, head.name);
  const name = await vscode.window.showInputBox({
    title: `Restore ${head.name} on ${host}`,
    prompt: taken ? `Backed up ${when}. ${taken}` : `The name of the restored workspace (backed up ${when})`,
    value: head.name,
    validateInput: (value) => restoreNameProblem(connection, value),
  });
  if (!name) return;
  try {
    const workspace = await withTransferProgress(services, `Restoring ${name} on ${host}`, size, (steps) =>
      restoreFromFile(connection.liveClient(), file, {
        name: name === head.name ? undefined : name,
        signal: steps.signal,
        onProgress: steps.onProgress,
        onBytes: steps.onBytes,
        output: steps.output,
      }),
    );
    void vscode.window.showInformationMessage(
      `Restored ${workspace.name} on ${host} from ${shown}: ${workspace.state}, with its files and SSH host key.`,
    );
  } catch (err) {
    if (err instanceof BerthError && err.code === 'cancelled') {
      void vscode.window.showInformationMessage(`The restore of ${name} was cancelled; nothing was made.`);
      return;
    }
    showError(services, `restore ${shown}`, err);
  }
}
