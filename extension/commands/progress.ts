import * as vscode from 'vscode';
import type { HostConnection } from '../hosts/connection';

/**
 * Runs a long agent operation under a cancellable notification whose message follows the agent's
 * `workspace.progress` phases for `workspaceName`; cancelling sends the cancellation over the wire.
 */
export function withAgentProgress<T>(
  title: string,
  connection: HostConnection,
  workspaceName: string,
  run: (signal: AbortSignal) => Promise<T>,
): Thenable<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (progress, token) => {
      const abort = new AbortController();
      const cancel = token.onCancellationRequested(() => abort.abort());
      const unsubscribe = connection.onDidChange((event) => {
        if (event?.event === 'workspace.progress' && event.data.name === workspaceName && event.data.phase !== 'done') {
          progress.report({ message: event.data.message });
        }
      });
      return run(abort.signal).finally(() => {
        unsubscribe();
        cancel.dispose();
      });
    },
  );
}
