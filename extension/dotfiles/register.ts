import * as vscode from 'vscode';
import type { Services } from '../services';
import { DOTFILES_SETTING, DotfilesSync, userDotfiles } from './sync';

/** The setting's value in the user's own settings (empty when unset); a folder's is never read. */
export function dotfilesSetting(): string {
  return userDotfiles(vscode.workspace.getConfiguration().inspect<string>(DOTFILES_SETTING));
}

let active: DotfilesSync | undefined;

/** The window's sync, once registered: Set Dotfiles Repository… pushes through it (one queue per host). */
export function activeDotfilesSync(): DotfilesSync | undefined {
  return active;
}

/**
 * Keeps each host's dotfiles (the agent's per-user setting) as `berth.dotfiles.repository` says:
 * pushed when the setting changes and when a host connects, when set; an empty setting leaves them.
 */
export function registerDotfilesSync(services: Services): vscode.Disposable[] {
  const { manager, log } = services;
  const sync = new DotfilesSync({
    connections: () => manager.all(),
    setting: dotfilesSetting,
    log,
    refused: (problem) =>
      void vscode.window.showWarningMessage(problem, 'Open Settings').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', DOTFILES_SETTING);
      }),
  });
  active = sync;
  void sync.hostsChanged();
  return [
    {
      dispose: () => {
        sync.dispose();
        if (active === sync) active = undefined;
      },
    },
    manager.onDidChange(() => void sync.hostsChanged()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(DOTFILES_SETTING)) void sync.settingChanged();
    }),
  ];
}
