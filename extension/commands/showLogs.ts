import * as vscode from 'vscode';
import { showError } from './errors';
import { resolveWorkspace } from './resolve';
import type { Services } from '../services';

const following = new Map<string, { channel: vscode.OutputChannel; abort: AbortController }>();

/** Berth: Show Logs — streams the workspace's output into an output channel until it is closed or shown again. */
export async function showLogs(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg);
  if (!target) return;
  const { connection, workspace } = target;
  const key = `${connection.host.id}/${workspace.id}`;
  const previous = following.get(key);
  previous?.abort.abort();
  const channel = previous?.channel ?? vscode.window.createOutputChannel(`Berth Logs: ${workspace.name}`);
  channel.clear();
  channel.show(true);
  const abort = new AbortController();
  following.set(key, { channel, abort });
  try {
    const { text } = await connection.request(
      'workspace.logs',
      { name: workspace.name, owner: workspace.owner, tail: 500, follow: true },
      { signal: abort.signal, onLog: (chunk) => channel.append(chunk) },
    );
    channel.append(text);
    channel.appendLine('--- the workspace stopped; choose "Show Workspace Logs" again to follow it anew ---');
  } catch (err) {
    if (!abort.signal.aborted) showError(services, `show the logs of ${workspace.name}`, err);
  }
}
