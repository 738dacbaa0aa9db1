import * as vscode from 'vscode';
import { AgentClient } from '../../client/agent-client';
import { BerthError, DEFAULT_AGENT_URL } from '../../protocol';
import type { Services } from '../services';
import { forVsCode } from '../wording/errors';

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

/** Checks `user@host[:port]` or an SSH alias as typed (the full parse is the SSH code's). */
export function sshTargetProblem(value: string): string | null {
  return /^(?:[^@\s:]+@)?(?:[^@\s:[\]]+|\[[^\]\s]+\])(?::\d{1,5})?$/.test(value.trim())
    ? null
    : 'Use user@host, user@host:port, or a Host alias of your ~/.ssh/config';
}

/**
 * Berth: Add Host — over SSH (the agent is installed and reached through the user's own SSH access),
 * or by the agent's URL and a token (kept in SecretStorage).
 */
export async function addHost(services: Services): Promise<void> {
  const how = await vscode.window.showQuickPick(
    [
      {
        label: '$(terminal) Over SSH',
        detail: 'user@host or an SSH alias: Berth installs and reaches its agent there',
        ssh: true,
      },
      {
        label: '$(plug) Agent URL and token',
        detail: 'An agent you can reach directly, e.g. ws://127.0.0.1:7420',
        ssh: false,
      },
    ],
    { title: 'Add Berth Host', ignoreFocusOut: true },
  );
  if (!how) return;
  if (how.ssh) return addSshHost(services);
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
  const token = await askToken(url.trim());
  if (!token) return;
  const host = await services.manager.add(label.trim(), url.trim(), token);
  services.log.info(`added host ${host.label} (${host.url})`);
}

/** Why the agent at `url` refuses `token`; null when it takes it, or cannot be asked now (the host row will say). */
async function tokenProblem(url: string, token: string): Promise<string | null> {
  try {
    const client = await AgentClient.connect(url, token, 'berth-vscode');
    client.close();
    return null;
  } catch (err) {
    if (err instanceof BerthError && err.code === 'unauthorized') {
      return `The host refused this token: ${forVsCode(err.message)}. Paste the token its operator gave you.`;
    }
    return null;
  }
}

/**
 * Asks for the token and checks it with the agent before anything is saved: a refused token keeps
 * the input open, saying why, with what was typed.
 */
function askToken(url: string): Promise<string | undefined> {
  const input = vscode.window.createInputBox();
  input.title = 'Add Berth Host (3/3): token';
  input.prompt = "Your token for this host, as the host's operator gave it to you";
  input.password = true;
  input.ignoreFocusOut = true;
  return new Promise<string | undefined>((resolve) => {
    let done = false;
    const finish = (value: string | undefined) => {
      done = true;
      resolve(value);
      input.dispose();
    };
    input.onDidChangeValue(() => (input.validationMessage = undefined));
    input.onDidHide(() => !done && finish(undefined));
    input.onDidAccept(async () => {
      const token = input.value.trim();
      if (!token) return void (input.validationMessage = 'The token is required');
      input.busy = true;
      input.enabled = false;
      const problem = await tokenProblem(url, token);
      input.busy = false;
      input.enabled = true;
      if (problem) input.validationMessage = problem;
      else finish(token);
    });
    input.show();
  });
}

/** Adds a host reached over SSH, then shows how connecting (and installing the agent) goes. */
async function addSshHost(services: Services): Promise<void> {
  const spec = await vscode.window.showInputBox({
    title: 'Add Berth Host over SSH (1/2): where',
    placeHolder: 'alice@gpu1.example.org, alice@gpu1:2222 or an alias of ~/.ssh/config',
    prompt: 'Your ssh-agent or keys, ~/.ssh/config and known_hosts are used; no port is opened on the host',
    ignoreFocusOut: true,
    validateInput: sshTargetProblem,
  });
  if (!spec) return;
  const label = await vscode.window.showInputBox({
    title: 'Add Berth Host over SSH (2/2): name',
    value: spec
      .trim()
      .replace(/^[^@]*@/, '')
      .replace(/:\d+$/, ''),
    prompt: 'How the host is called in the tree',
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? null : 'Give the host a name'),
  });
  if (!label) return;
  const host = await services.manager.addSsh(label.trim(), spec.trim());
  services.log.info(`added host ${host.label} over SSH (${spec.trim()})`);
  const connection = services.manager.connection(host.id);
  if (!connection) return;
  await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Connecting to ${host.label} over SSH (installing the Berth agent if needed)…`,
    },
    () =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (connection.status.kind === 'connecting') return;
          stop();
          resolve();
          if (connection.status.kind === 'error') {
            void vscode.window.showErrorMessage(`Berth: ${host.label}: ${connection.status.message}`);
          }
        };
        const stop = connection.onDidChange(check);
        check();
      }),
  );
}
