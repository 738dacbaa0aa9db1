import * as vscode from 'vscode';
import { resolveHost } from './resolve';
import type { Services } from '../services';

/** Berth: Reconnect Host — the fix-it of a host in trouble: a new token when it was refused, else retry now. */
export async function reconnectHost(services: Services, arg?: unknown): Promise<void> {
  const connection = await resolveHost(services, arg, false);
  if (!connection) return;
  // A host reached over SSH mints its own token: only a directly reached one asks for a new one.
  if (connection.status.kind === 'error' && connection.status.code === 'unauthorized' && !connection.host.ssh) {
    const token = await vscode.window.showInputBox({
      title: `New token for ${connection.host.label}`,
      prompt: connection.status.message,
      password: true,
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() ? null : 'The token is required'),
    });
    if (token) await services.manager.setToken(connection.host.id, token.trim());
    return;
  }
  connection.connect();
}
