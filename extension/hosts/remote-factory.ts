import * as path from 'node:path';
import * as vscode from 'vscode';
import { RemoteHost, type SshModule } from '../../client/remote-host';
import type { UnknownHostKey } from '../../client/ssh/session';

let loaded: SshModule | null = null;

/**
 * The SSH code, loaded on first use from dist/remote.js beside this bundle (esbuild.mjs builds it
 * apart so that activating the extension does not load ssh2).
 */
function loadSsh(): SshModule {
  // A computed path: esbuild leaves this require alone, and Node loads the sibling bundle at run time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require(path.join(__dirname, 'remote.js')) as SshModule;
  return loaded;
}

/**
 * Puts an unknown host key to the user, as `ssh` does on a first connection, in a modal dialog whose
 * default button (Enter) is not the one that trusts: trusting takes a deliberate choice.
 */
async function confirmHostKey(key: UnknownHostKey): Promise<boolean> {
  const trust = { title: 'Trust and Connect' };
  const answer = await vscode.window.showWarningMessage(
    `Berth: the authenticity of host ${key.name} can't be established.`,
    {
      modal: true,
      detail: `Its ${key.keyType} key fingerprint is ${key.fingerprint}.\nCompare it with the one the host's owner gives you. Trusting it adds it to your known_hosts.`,
    },
    // The first button is the dialog's default.
    { title: "Don't Trust" },
    trust,
  );
  return answer === trust;
}

/**
 * Makes the SSH side of hosts reached over SSH: the extension's own agent bundle (dist/berth.js) is
 * what gets installed there, and the user's ssh-agent, keys, config and known_hosts are used.
 */
export function remoteHostFactory(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
): (spec: string) => RemoteHost {
  const bundle = {
    file: path.join(context.extensionPath, 'dist', 'berth.js'),
    version: (context.extension.packageJSON as { version: string }).version,
  };
  return (spec) => new RemoteHost(spec, { ssh: loadSsh(), bundle, confirmHostKey, log: (line) => log.info(line) });
}
