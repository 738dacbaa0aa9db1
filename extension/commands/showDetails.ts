import * as vscode from 'vscode';
import { detailsUri } from '../details/provider';
import { resolveWorkspace } from './resolve';
import type { Services } from '../services';

/**
 * Berth: Show Details — every field of the workspace and its recent history, as a read-only document
 * that follows the workspace's changes (extension/details/provider.ts).
 */
export async function showDetails(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg);
  if (!target) return;
  const { connection, workspace } = target;
  const uri = detailsUri({ hostId: connection.host.id, owner: workspace.owner, name: workspace.name });
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document, { preview: false });
}
