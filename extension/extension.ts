import * as os from 'node:os';
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import type { Services } from './services';
import { HostManager } from './hosts/manager';
import { remoteHostFactory } from './hosts/remote-factory';
import { registerIdle } from './idle';
import { ManagedSsh } from './ssh-config/managed';
import { registerSshSync } from './ssh-config/sync';
import { WorkspaceTreeProvider } from './tree/provider';
import { registerUsageRefresh } from './tree/usage-view';
import { registerHostsStatus } from './status/hosts-item';
import { registerUriHandler } from './uri/handler';
import { registerGpuView } from './views/gpu-view';
import { registerDetails } from './details/provider';
import { registerDotfilesSync } from './dotfiles/register';

/** Builds the services, then registers the tree, the commands and the SSH config sync. */
export function activate(context: vscode.ExtensionContext): void {
  const started = Date.now();
  const log = vscode.window.createOutputChannel('Berth', { log: true });
  const manager = new HostManager(context.globalState, context.secrets, remoteHostFactory(context, log));
  const tree = new WorkspaceTreeProvider(manager);
  const services: Services = { manager, ssh: new ManagedSsh(os.homedir()), tree, log };

  const view = vscode.window.createTreeView('berth.workspaces', { treeDataProvider: tree, showCollapseAll: false });
  context.subscriptions.push(
    log,
    manager,
    tree,
    view,
    ...registerCommands(services),
    registerSshSync(services),
    ...registerIdle(services),
    ...registerUsageRefresh(view, tree),
    ...registerGpuView(manager),
    registerHostsStatus(manager),
    registerUriHandler(services, view),
    registerDetails(manager),
    ...registerDotfilesSync(services),
  );
  log.info(`Berth activated in ${Date.now() - started} ms with ${manager.hosts().length} host(s)`);
}

/** Nothing to do: every resource is in `context.subscriptions`. */
export function deactivate(): void {}
