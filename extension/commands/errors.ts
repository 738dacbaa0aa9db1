import * as vscode from 'vscode';
import { BerthError } from '../../protocol';
import type { Services } from '../services';
import { errorText } from '../wording/errors';

/**
 * Shows a failed action as one error notification in words a person understands (CLI advice left
 * out, advice only for its own code), with a button to the log; the full error goes to the log.
 * Cancellations are not errors and show nothing.
 */
export function showError(services: Services, action: string, err: unknown): void {
  // Someone else's cancel (a GPU wait ended from another client) is news to this user.
  const byOther = err instanceof BerthError && (err.data as { cancelledBy?: unknown } | undefined)?.cancelledBy;
  if (err instanceof BerthError && err.code === 'cancelled' && !byOther) return;
  const message = err instanceof Error ? err.message : String(err);
  const code = err instanceof BerthError ? err.code : 'internal';
  services.log.error(`${action}: [${code}] ${message}`);
  void vscode.window
    .showErrorMessage(errorText(action, code, message), 'Show Logs')
    .then((choice) => choice && services.log.show());
}
