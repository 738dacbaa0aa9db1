import * as vscode from 'vscode';
import { showError } from './errors';
import { resolveHost } from './resolve';
import type { Services } from '../services';

/** Berth: Show Secrets — this user's secrets on a host, by name, with the workspaces using them; never a value. */
export async function showSecrets(services: Services, arg?: unknown): Promise<void> {
  const connection = await resolveHost(services, arg);
  if (!connection) return;
  let secrets;
  try {
    ({ secrets } = await connection.request('secret.list', {}));
  } catch (err) {
    return showError(services, 'list secrets', err);
  }
  const setOne = { label: '$(add) Set Secret…', description: '', detail: undefined, set: true };
  const items = secrets.map((secret) => ({
    label: `$(key) ${secret.name}`,
    description: secret.usedBy.length ? `used by ${secret.usedBy.join(', ')}` : 'not used',
    detail: `updated ${new Date(secret.updatedAt).toLocaleString()}`,
    set: false,
  }));
  const picked = await vscode.window.showQuickPick([...items, setOne], {
    title: `Your secrets on ${connection.host.label} (${secrets.length})`,
    placeHolder: secrets.length ? 'Values are never shown' : 'No secrets yet',
  });
  if (picked?.set) await vscode.commands.executeCommand('berth.secret.set', arg);
}
