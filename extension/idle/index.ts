import type * as vscode from 'vscode';
import type { Services } from '../services';
import { PendingWarnings } from './pending';
import { registerPresence } from './presence';
import { registerStatusBar } from './status-bar';
import { registerWarnings } from './warnings';
import { windowAddress } from './window';

/**
 * Idle shutdown, the extension's side: idle warnings with "Keep Running" in every window; in a window
 * connected to a Berth workspace over Remote-SSH also presence reports and the status bar countdown.
 */
export function registerIdle(services: Services): vscode.Disposable[] {
  const pending = new PendingWarnings();
  const address = windowAddress();
  // Registered first, so the pending warnings are current when the others hear the same event.
  const follow = services.manager.onDidChange((event) => pending.follow(event));
  const disposables = [follow, registerWarnings(services, pending, address)];
  if (address) {
    services.log.info(`this window is connected to Berth workspace ${address.name} on host ${address.hostId}`);
    disposables.push(registerPresence(services, address), registerStatusBar(services, pending, address));
  }
  return disposables;
}
