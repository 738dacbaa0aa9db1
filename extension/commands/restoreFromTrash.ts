import * as vscode from 'vscode';
import { WorkspaceName, type TrashEntry } from '../../protocol';
import { trashItem } from '../wording/trash';
import { showError } from './errors';
import { withAgentProgress } from './progress';
import { resolveHost } from './resolve';
import type { Services } from '../services';

/**
 * Berth: Restore from Trash…: picks one of the user's trashed homes on a host and makes its workspace
 * again with its files; asks for a new name when the old one is taken.
 */
export async function restoreFromTrash(services: Services, arg?: unknown): Promise<void> {
  const connection = await resolveHost(services, arg);
  if (!connection || connection.status.kind !== 'connected') return;
  const me = connection.status.welcome.user.name;
  let entries: TrashEntry[];
  try {
    entries = (await connection.request('trash.list', {})).entries.filter((entry) => entry.owner === me);
  } catch (err) {
    return showError(services, 'read the trash', err);
  }
  if (!entries.length) {
    void vscode.window.showInformationMessage(`The trash on ${connection.host.label} is empty.`);
    return;
  }
  const picked = await vscode.window.showQuickPick(
    entries.map((entry) => ({ ...trashItem(entry), entry })),
    { title: `Restore from Trash on ${connection.host.label}`, matchOnDescription: true },
  );
  if (!picked) return;
  const { entry } = picked;
  const taken = [...connection.workspaces.values()].some((ws) => ws.owner === me && ws.name === entry.name);
  const name = taken
    ? await vscode.window.showInputBox({
        title: `Restore ${entry.name} under another name`,
        prompt: `You already have a workspace called "${entry.name}".`,
        value: `${entry.name}-restored`,
        validateInput: (value) => {
          const parsed = WorkspaceName.safeParse(value);
          if (!parsed.success) return parsed.error.issues[0]?.message ?? 'not a workspace name';
          return value === entry.name ? 'That name is taken' : null;
        },
      })
    : entry.name;
  if (!name) return;
  try {
    await withAgentProgress(`Restoring ${name}`, (options) =>
      connection.request('trash.restore', { id: entry.id, ...(name === entry.name ? {} : { as: name }) }, options),
    );
    void vscode.window.showInformationMessage(`Restored ${name} from the trash, with its files.`);
  } catch (err) {
    showError(services, `restore ${entry.name}`, err);
  }
}
