import * as vscode from 'vscode';
import type { Services } from '../services';
import type { HostConnection } from '../hosts/connection';
import type { WorkspaceAddress } from './alias';
import { ActivityReporter } from './reporter';
import { resolveAddress } from './window';

/** Documents a person edits; output channels and logs (Berth's own included) change without anyone there. */
const EDITED_SCHEMES = new Set(['file', 'vscode-remote', 'untitled', 'vscode-notebook-cell']);

/** How long a report waits for a host that is still connecting (the window just opened). */
const CONNECT_WAIT_MS = 15_000;

/** Resolves once `connection` is connected, or after {@link CONNECT_WAIT_MS} (the request then says why it failed). */
function connected(connection: HostConnection): Promise<void> {
  if (connection.status.kind !== 'connecting') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, CONNECT_WAIT_MS);
    const unsubscribe = connection.onDidChange(() => connection.status.kind !== 'connecting' && done());
    function done() {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    }
  });
}

/**
 * Reports presence in the workspace this window is connected to (`workspace.activity`), at most once
 * a minute and only after something happened: edits, selection or scrolling in an editor, terminals
 * opened, closed, switched or typed into, the window gaining focus. Events count only while the window
 * has focus, so a file changing on disk under an open editor or a task's terminal never claims presence.
 */
export function registerPresence(services: Services, address: WorkspaceAddress): vscode.Disposable {
  let failures = 0;
  const reporter = new ActivityReporter(
    async () => {
      const target = resolveAddress(services.manager, address);
      if (!target) throw new Error(`host ${address.hostId} is not configured in Berth`);
      await connected(target.connection);
      const { lastActivity } = await target.connection.request('workspace.activity', {
        name: address.name,
        owner: target.workspace?.owner,
        signal: 'present',
      });
      failures = 0;
      services.log.debug(`reported presence in ${address.name}: last activity ${lastActivity.at}`);
    },
    (err) => {
      // Once per outage in the log: the reporter tries again at the next event, a minute later at most.
      if (failures++ === 0) services.log.warn(`could not report presence in ${address.name}: ${String(err)}`);
    },
  );
  const present = () => {
    if (vscode.window.state.focused) reporter.activity();
  };
  const edited = (uri: vscode.Uri) => EDITED_SCHEMES.has(uri.scheme) && present();
  const subscriptions = [
    vscode.window.onDidChangeWindowState((state) => state.focused && present()),
    vscode.workspace.onDidChangeTextDocument((event) => event.contentChanges.length > 0 && edited(event.document.uri)),
    vscode.window.onDidChangeTextEditorSelection((event) => edited(event.textEditor.document.uri)),
    vscode.window.onDidChangeTextEditorVisibleRanges((event) => edited(event.textEditor.document.uri)),
    vscode.window.onDidChangeActiveTextEditor(present),
    vscode.window.onDidOpenTerminal(present),
    vscode.window.onDidCloseTerminal(present),
    vscode.window.onDidChangeActiveTerminal(present),
    vscode.window.onDidChangeTerminalState(present),
  ];
  present(); // opening the window is presence too, when it opens focused
  return new vscode.Disposable(() => {
    reporter.dispose();
    for (const subscription of subscriptions) subscription.dispose();
  });
}
