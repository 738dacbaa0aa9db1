import * as vscode from 'vscode';
import { BerthError } from '../../protocol';
import type { Services } from '../services';

const ADVICE: Partial<Record<string, string>> = {
  unauthorized: 'The host refused the token: use "Berth: Reconnect Host" to enter a new one.',
  no_capacity: 'The host is full.',
  conflict: 'Another operation is running on this workspace.',
  image_not_found: 'The image is not on the host.',
  timeout: 'The workspace took too long to come up.',
};

/**
 * Shows a failed action as one error notification in words a person understands, with a button to
 * the log; the full error goes to the log. Cancellations are not errors and show nothing.
 */
export function showError(services: Services, action: string, err: unknown): void {
  // Someone else's cancel (a GPU wait ended from another client) is news to this user.
  const byOther = err instanceof BerthError && (err.data as { cancelledBy?: unknown } | undefined)?.cancelledBy;
  if (err instanceof BerthError && err.code === 'cancelled' && !byOther) return;
  const message = err instanceof Error ? err.message : String(err);
  const code = err instanceof BerthError ? err.code : 'internal';
  services.log.error(`${action}: [${code}] ${message}`);
  const advice = ADVICE[code];
  void vscode.window
    .showErrorMessage(
      `Could not ${action}: ${message}${advice && !message.includes(advice) ? ` ${advice}` : ''}`,
      'Show Logs',
    )
    .then((choice) => choice && services.log.show());
}
