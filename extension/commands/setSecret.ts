import * as vscode from 'vscode';
import { describeIssues, SecretName, SecretValue } from '../../protocol';
import { showError } from './errors';
import { resolveHost } from './resolve';
import type { Services } from '../services';

/** What is wrong with `text` as a schema would say it, or undefined when it is fine (never repeating the text). */
const problem = (schema: Pick<typeof SecretName, 'safeParse'>, text: string): string | undefined => {
  const parsed = schema.safeParse(text);
  return parsed.success ? undefined : describeIssues(parsed.error);
};

/**
 * Berth: Set Secret… — a name, then the value in a password box (never shown, never logged); the
 * agent keeps it encrypted for this user. Running workspaces that use it get it at their next start.
 */
export async function setSecret(services: Services, arg?: unknown): Promise<void> {
  const connection = await resolveHost(services, arg);
  if (!connection) return;
  const title = `Set Secret on ${connection.host.label}`;
  const name = await vscode.window.showInputBox({
    title,
    prompt: 'Name of the secret, e.g. GITHUB_TOKEN (letters, digits, _ or -)',
    ignoreFocusOut: true,
    validateInput: (text) => (text ? problem(SecretName, text) : undefined),
  });
  if (!name) return;
  const value = await vscode.window.showInputBox({
    title,
    prompt: `Value of ${name} (kept encrypted on the host; never shown again)`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (text) => (text ? problem(SecretValue, text) : undefined),
  });
  if (!value) return;
  try {
    const result = await connection.request('secret.set', { name, value });
    const restart = result.restartNeeded.length
      ? ` ${result.restartNeeded.join(', ')} ${result.restartNeeded.length > 1 ? 'get' : 'gets'} the new value at the next start.`
      : '';
    void vscode.window.showInformationMessage(`Secret ${name} ${result.created ? 'set' : 'updated'}.${restart}`);
  } catch (err) {
    showError(services, `set secret ${name}`, err);
  }
}
