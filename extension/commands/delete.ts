import * as vscode from 'vscode';
import { showError } from './errors';
import { withAgentProgress } from './progress';
import { resolveWorkspace } from './resolve';
import { localTime } from '../wording/describe';
import type { Services } from '../services';

/** Berth: Delete Workspace. Modal; deleting the home's data also requires typing the name. */
export async function deleteWorkspace(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg);
  if (!target) return;
  const { connection, workspace } = target;
  const keep = 'Delete';
  const wipe = 'Delete with Data…';
  const choice = await vscode.window.showWarningMessage(
    `Delete workspace "${workspace.name}"?`,
    { modal: true, detail: `Its container goes. Its home volume is kept unless you choose "${wipe}".` },
    keep,
    wipe,
  );
  if (!choice) return;
  const deleteData = choice === wipe;
  if (deleteData) {
    const typed = await vscode.window.showInputBox({
      title: `Delete ${workspace.name} and all files in its home`,
      prompt: `Type "${workspace.name}" to confirm. Where the host keeps a trash, the home stays restorable for a while.`,
      validateInput: (value) => (value === workspace.name ? null : `Type ${workspace.name} exactly`),
    });
    if (typed !== workspace.name) return;
  }
  try {
    const result = await withAgentProgress(`Deleting ${workspace.name}`, ({ onProgress }) =>
      connection.request(
        'workspace.delete',
        { name: workspace.name, owner: workspace.owner, deleteData },
        { onProgress },
      ),
    );
    if (result.trashedUntil) {
      void vscode.window.showInformationMessage(
        `Deleted ${workspace.name}. Its home is in the trash on ${connection.host.label} until ${localTime(result.trashedUntil)}: Restore from Trash… on the host brings it back.`,
      );
    } else if (result.keptVolume) {
      void vscode.window.showInformationMessage(
        `Deleted ${workspace.name}. Its home volume ${result.keptVolume} was kept on ${connection.host.label}.`,
      );
    }
    // Named volumes (issue 13) are the owner's, never deleted with a workspace.
    const named = result.namedVolumes ?? [];
    if (named.length) {
      void vscode.window.showInformationMessage(
        `Kept your named ${named.length === 1 ? 'volume' : 'volumes'} ${named.join(', ')} on ${connection.host.label}: other workspaces of yours mount ${named.length === 1 ? 'it' : 'them'} by name.`,
      );
    }
  } catch (err) {
    showError(services, `delete ${workspace.name}`, err);
  }
}
