import * as vscode from 'vscode';
import type { HostManager } from '../hosts/manager';
import { hostsStatusText } from '../wording/usage';
import { hostsTooltip, tallyHosts } from './tally';

/** VS Code's own command that opens a view container: here, Berth's in the activity bar. */
const OPEN_BERTH_VIEW = 'workbench.view.extension.berth';

/**
 * The status-bar item of every window: `$(server) 2 hosts · 3 running` (the user's own running
 * workspaces), redrawn on every change of hosts, connections and workspaces; a click opens the
 * Berth view. The idle countdown of a workspace window is an item of its own (idle/status-bar.ts).
 */
export function registerHostsStatus(manager: HostManager): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('berth.hosts', vscode.StatusBarAlignment.Left, 99);
  item.name = 'Berth Hosts';
  item.command = { command: OPEN_BERTH_VIEW, title: 'Open the Berth view' };
  const render = () => {
    const connections = manager.all();
    item.text = hostsStatusText(tallyHosts(connections));
    item.tooltip = hostsTooltip(connections);
    item.show();
  };
  const subscription = manager.onDidChange(render);
  render();
  return new vscode.Disposable(() => {
    subscription.dispose();
    item.dispose();
  });
}
