import * as vscode from 'vscode';
import type { HostConnection } from '../hosts/connection';
import type { Services } from '../services';
import type { TreeNode } from '../tree/model';
import { findLinkedHost, parseOpenLink, type OpenLink } from './parse';

/** How long a link waits for a host that is still connecting. */
const CONNECT_WAIT_MS = 15_000;
const OPEN_BERTH_VIEW = 'workbench.view.extension.berth';

/** The host's connection once it is no longer connecting (or the wait ran out). */
function settled(services: Services, connection: HostConnection): Promise<void> {
  if (connection.status.kind !== 'connecting') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      subscription.dispose();
      resolve();
    };
    const timer = setTimeout(done, CONNECT_WAIT_MS);
    const subscription = services.manager.onDidChangeHost((hostId) => {
      if (hostId === connection.host.id && connection.status.kind !== 'connecting') done();
    });
  });
}

/** Opens what a parsed link names: reveals the workspace's row and offers Connect. */
async function open(services: Services, view: vscode.TreeView<TreeNode>, link: OpenLink): Promise<void> {
  const connection = findLinkedHost(services.manager.all(), link.host);
  if (!connection) {
    const choice = await vscode.window.showErrorMessage(
      `Berth: the link opens workspace "${link.workspace}" on host "${link.host}", which is not among your Berth hosts. Add the host, then open the link again.`,
      'Add Host',
    );
    if (choice === 'Add Host') await vscode.commands.executeCommand('berth.host.add');
    return;
  }
  const label = connection.host.label;
  await settled(services, connection);
  if (connection.status.kind !== 'connected') {
    const reason = connection.status.kind === 'error' ? connection.status.message : 'still connecting';
    void vscode.window.showErrorMessage(
      `Berth: ${label} is not connected (${reason}), so the link cannot open "${link.workspace}".`,
    );
    return;
  }
  const ws = connection.find(link.workspace, link.owner);
  if (!ws) {
    const whose = link.owner ? ` of ${link.owner}` : '';
    void vscode.window.showErrorMessage(
      `Berth: ${label} has no workspace "${link.workspace}"${whose} that you can see.`,
    );
    return;
  }
  await vscode.commands.executeCommand(OPEN_BERTH_VIEW);
  const element = services.tree.workspaceElement(connection.host.id, ws.id);
  if (element) await view.reveal(element, { select: true, focus: true, expand: false });
  const connectable = ws.state === 'running' || ws.state === 'stopped' || ws.state === 'failed';
  const message = `Berth: ${ws.name} on ${label} is ${ws.state}.`;
  if (!connectable || !element) return void vscode.window.showInformationMessage(message);
  const choice = await vscode.window.showInformationMessage(`${message} Connect to it?`, 'Connect');
  if (choice === 'Connect') await vscode.commands.executeCommand('berth.workspace.connect', element);
}

/**
 * Handles `vscode://berth.berth/open?host=H&workspace=W[&owner=U]` (for a README or a chat message):
 * reveals the workspace in the tree and offers Connect; a malformed link, an unknown host or a
 * workspace the user cannot see gets one clear message and nothing else happens.
 */
export function registerUriHandler(services: Services, view: vscode.TreeView<TreeNode>): vscode.Disposable {
  return vscode.window.registerUriHandler({
    handleUri: async (uri) => {
      const parsed = parseOpenLink(uri.path, uri.query);
      if ('error' in parsed) {
        void vscode.window.showErrorMessage(`Berth: this link cannot be opened: ${parsed.error}`);
        return;
      }
      try {
        await open(services, view, parsed.link);
      } catch (err) {
        services.log.error(`opening ${uri.toString(true)} failed: ${String(err)}`);
      }
    },
  });
}
