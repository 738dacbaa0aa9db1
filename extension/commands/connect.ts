import * as vscode from 'vscode';
import { registerKey, syncSshConfig, workspaceAlias } from '../ssh-config/sync';
import { showError } from './errors';
import { openTerminal } from './openTerminal';
import { postAttach } from './post-attach';
import { withAgentProgress } from './progress';
import { resolveWorkspace, type Target } from './resolve';
import type { Services } from '../services';

const REMOTE_SSH = 'ms-vscode-remote.remote-ssh';

/** Makes sure the workspace runs, asking first: a stopped workspace is never started behind the user's back. */
async function ensureRunning(services: Services, { connection, workspace }: Target): Promise<boolean> {
  if (workspace.state === 'running') return true;
  const start = 'Start and Connect';
  const choice = await vscode.window.showInformationMessage(
    `Workspace "${workspace.name}" is ${workspace.state}. Start it?`,
    { modal: true },
    start,
  );
  if (choice !== start) return false;
  try {
    await withAgentProgress(`Starting ${workspace.name}`, (options) =>
      connection.request('workspace.start', { name: workspace.name, owner: workspace.owner }, options),
    );
    return true;
  } catch (err) {
    showError(services, `start ${workspace.name}`, err);
    return false;
  }
}

/** Adds the Include line to ~/.ssh/config once, with the user's consent. */
async function ensureInclude(services: Services): Promise<boolean> {
  if (await services.ssh.included()) return true;
  const add = 'Add Include Line';
  const choice = await vscode.window.showInformationMessage(
    'Berth keeps the SSH settings of your workspaces in its own file. May it add one line to ~/.ssh/config to include that file?',
    {
      modal: true,
      detail: `The line goes at the top: Include ${services.ssh.configFile}\nNothing else in your file changes.`,
    },
    add,
  );
  if (choice !== add) return false;
  await services.ssh.addInclude();
  return true;
}

/** Berth: Connect — opens a VS Code window inside the workspace over Remote-SSH; a terminal without it. */
export async function connectWorkspace(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg, ['running', 'stopped', 'failed'], { own: true });
  if (!target || !(await ensureRunning(services, target))) return;
  const { connection } = target;
  const workspace = connection.workspaces.get(target.workspace.id) ?? target.workspace;
  const alias = workspaceAlias(connection.host.id, workspace);
  try {
    await registerKey(services, connection);
    await syncSshConfig(services);
    if (!(await ensureInclude(services))) return;
  } catch (err) {
    return showError(services, `prepare SSH for ${workspace.name}`, err);
  }
  if (!vscode.extensions.getExtension(REMOTE_SSH)) {
    const install = 'Install Remote-SSH';
    const terminal = 'Open Terminal Instead';
    const choice = await vscode.window.showInformationMessage(
      `Opening a VS Code window in "${workspace.name}" needs the Remote - SSH extension. Its SSH settings are ready: ssh ${alias}`,
      install,
      terminal,
    );
    if (choice === install) await vscode.commands.executeCommand('workbench.extensions.installExtension', REMOTE_SSH);
    else if (choice === terminal) {
      await postAttach(services, connection, workspace);
      await openTerminal(services, { kind: 'workspace', hostId: connection.host.id, workspace });
    }
    return;
  }
  try {
    // Preset the platform so Remote-SSH does not ask; the setting exists only once Remote-SSH is installed.
    const remoteSsh = vscode.workspace.getConfiguration('remote.SSH');
    const platforms = remoteSsh.get<Record<string, string>>('remotePlatform') ?? {};
    if (platforms[alias] !== 'linux') {
      await remoteSsh.update('remotePlatform', { ...platforms, [alias]: 'linux' }, vscode.ConfigurationTarget.Global);
    }
  } catch (err) {
    services.log.warn(`could not preset remote.SSH.remotePlatform for ${alias}: ${String(err)}`);
  }
  // devcontainer.json's postAttachCommand: before the window opens, as berth ssh runs it before the session.
  await postAttach(services, connection, workspace);
  const uri = vscode.Uri.parse(`vscode-remote://ssh-remote+${alias}/home/${workspace.ssh.user}`);
  const windowOpen = Boolean(vscode.workspace.workspaceFolders?.length);
  services.log.info(`connecting to ${alias} (${uri.toString()})`);
  await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: windowOpen });
}
