import * as vscode from 'vscode';
import { activeDotfilesSync, dotfilesSetting } from '../dotfiles/register';
import { DOTFILES_SETTING, dotfilesProblem } from '../dotfiles/sync';
import type { Services } from '../services';
import { showError } from './errors';

/**
 * Berth: Set Dotfiles Repository… — the `berth.dotfiles.repository` setting, set for every host the
 * user added and pushed to the connected ones now (the others get it when they connect). Emptying
 * it asks whether the hosts keep what they have or lose it too.
 */
export async function setDotfiles(services: Services): Promise<void> {
  const connected = services.manager.all().filter((c) => c.status.kind === 'connected');
  const value = await vscode.window.showInputBox({
    title: 'Berth: Dotfiles Repository',
    prompt:
      "A git repository installed in each new workspace's home, on every host you added: its install script runs, or its dotfiles are linked",
    placeHolder: 'https://github.com/you/dotfiles.git (empty: none)',
    value: dotfilesSetting(),
    ignoreFocusOut: true,
    validateInput: (text) => dotfilesProblem(text) ?? undefined,
  });
  if (value === undefined) return;
  const url = value.trim();
  const config = vscode.workspace.getConfiguration();
  if (!url) {
    const keep = 'Each host keeps its own';
    const remove = 'Remove them from my connected hosts too';
    const choice = await vscode.window.showQuickPick([keep, remove], {
      title: 'No dotfiles repository in VS Code',
      ignoreFocusOut: true,
    });
    if (!choice) return;
    await config.update(DOTFILES_SETTING, undefined, vscode.ConfigurationTarget.Global);
    if (choice === keep) return;
    // Through the sync's queues, so no push still running for the old value lands after it.
    const removed = (await activeDotfilesSync()?.removeFromConnected()) ?? [];
    const failed = removed.find((push) => push.error !== undefined);
    if (failed) return showError(services, `remove the dotfiles on ${failed.label}`, failed.error);
    void vscode.window.showInformationMessage(
      `New workspaces get no dotfiles on ${removed.map((c) => c.label).join(', ') || 'your connected hosts'}.`,
    );
    return;
  }
  await config.update(DOTFILES_SETTING, url, vscode.ConfigurationTarget.Global);
  // What is in effect: the user's own (global) value, the only one the hosts get.
  const inEffect = dotfilesSetting().trim();
  // The sync pushes it (one queue per host, the current value), now rather than once it rests.
  const pushed = (await activeDotfilesSync()?.pushNow()) ?? [];
  const failed = pushed.find((push) => push.error !== undefined);
  if (failed) return showError(services, `set the dotfiles on ${failed.label}`, failed.error);
  const where = connected.length ? connected.map((c) => c.host.label).join(', ') : 'each host once it connects';
  void vscode.window.showInformationMessage(`Dotfiles set to ${inEffect} on ${where}: new workspaces install them.`);
}
