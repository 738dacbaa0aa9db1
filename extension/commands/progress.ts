import * as vscode from 'vscode';
import type { RequestOptions } from '../../client/agent-client';
import type { EventData } from '../../protocol';

/**
 * Runs a long agent operation under a cancellable notification whose message follows the agent's
 * `workspace.progress` phases of this very request (never another client's operation on a workspace
 * of the same name); cancelling sends the cancellation over the wire. `run` passes the options on to
 * its request.
 */
export function withAgentProgress<T>(
  title: string,
  run: (options: Required<Pick<RequestOptions, 'signal' | 'onProgress'>>) => Promise<T>,
): Thenable<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (progress, token) => {
      const abort = new AbortController();
      const cancel = token.onCancellationRequested(() => abort.abort());
      const onProgress = (event: EventData<'workspace.progress'>) => {
        if (event.phase !== 'done') progress.report({ message: event.message });
      };
      return run({ signal: abort.signal, onProgress }).finally(() => {
        cancel.dispose();
      });
    },
  );
}
