import * as vscode from 'vscode';
import type { Services } from '../services';
import type { WorkspaceAddress } from './alias';
import { statusView } from '../wording/countdown';
import type { PendingWarnings } from './pending';
import { resolveAddress } from './window';

const TICK_MS = 1_000;

/**
 * The status bar item of a window connected to a Berth workspace: `$(vm) Berth: <name>`, and while
 * an idle stop is pending `$(clock) Berth: stops in 4:32` on a warning background, redrawn every
 * second only then and only while the window has focus. A click runs "Keep Workspace Running".
 */
export function registerStatusBar(
  services: Services,
  pending: PendingWarnings,
  address: WorkspaceAddress,
): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('berth.idle', vscode.StatusBarAlignment.Left, 100);
  item.name = 'Berth Workspace';
  let ticker: NodeJS.Timeout | null = null;
  const tick = (on: boolean) => {
    if (on && !ticker) ticker = setInterval(render, TICK_MS);
    if (!on && ticker) {
      clearInterval(ticker);
      ticker = null;
    }
  };
  function render(): void {
    const workspace = resolveAddress(services.manager, address)?.workspace;
    if (!workspace) {
      tick(false);
      return item.hide();
    }
    const now = Date.now();
    const view = statusView(workspace.name, pending.stopAt(workspace.id, now), now);
    item.text = view.text;
    item.tooltip = view.tooltip;
    item.backgroundColor = view.counting ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    item.command = {
      command: 'berth.workspace.keepRunning',
      title: 'Keep Workspace Running',
      arguments: [{ kind: 'workspace', hostId: address.hostId, workspace }],
    };
    item.show();
    tick(view.counting && vscode.window.state.focused);
  }
  const subscriptions = [services.manager.onDidChange(() => render()), vscode.window.onDidChangeWindowState(render)];
  render();
  return new vscode.Disposable(() => {
    tick(false);
    for (const subscription of subscriptions) subscription.dispose();
    item.dispose();
  });
}
