import * as vscode from 'vscode';
import { DEFAULT_AGENT_URL } from '../../protocol';
import type { Services } from './services';

/** Validates an agent URL as typed: ws:// or wss:// with a host. */
export function agentUrlProblem(value: string): string | null {
  try {
    const url = new URL(value.trim());
    return url.protocol === 'ws:' || url.protocol === 'wss:'
      ? null
      : 'Use a ws:// or wss:// URL, such as ws://127.0.0.1:7420';
  } catch {
    return 'Not a URL; the agent listens on ws://127.0.0.1:7420 by default';
  }
}

/** Berth: Add Host — the agent's URL, a name, and a token (kept in SecretStorage). */
export async function addHost(services: Services): Promise<void> {
  const url = await vscode.window.showInputBox({
    title: 'Add Berth Host (1/3): agent URL',
    value: DEFAULT_AGENT_URL,
    prompt: "Where the host's agent (berth serve) listens",
    ignoreFocusOut: true,
    validateInput: agentUrlProblem,
  });
  if (!url) return;
  const label = await vscode.window.showInputBox({
    title: 'Add Berth Host (2/3): name',
    value: new URL(url.trim()).hostname,
    prompt: 'How the host is called in the tree',
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? null : 'Give the host a name'),
  });
  if (!label) return;
  const token = await vscode.window.showInputBox({
    title: 'Add Berth Host (3/3): token',
    prompt: 'Your token for this host (on the host: berth token create --user NAME)',
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? null : 'The token is required'),
  });
  if (!token) return;
  const host = await services.manager.add(label.trim(), url.trim(), token.trim());
  services.log.info(`added host ${host.label} (${host.url})`);
}
