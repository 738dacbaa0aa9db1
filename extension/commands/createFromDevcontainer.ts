import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadDevcontainer, unmetRequirements, type Definition } from '../../client/devcontainer';
import { projectFolder } from '../../client/devcontainer/locate';
import { BerthError, type ParamsInput } from '../../protocol';
import type { HostConnection } from '../hosts/connection';
import { buildChannel, withBuildProgress } from './build-progress';
import { nameProblem, offerConnect } from './create';
import { defaultWorkspaceName, definitionToUse } from './definition-file';
import { showError } from './errors';
import { resolveHost } from './resolve';
import type { Services } from '../services';
import { forVsCode } from '../wording/errors';

const SHOW_OUTPUT = 'Show Output';

/**
 * The definition to create from: the only open folder's, else a file the user picks (no folder
 * open, several folders, or none in it). Undefined when the user backs out.
 */
async function chooseDefinition(): Promise<string | undefined> {
  const folders = (vscode.workspace.workspaceFolders ?? [])
    .filter((folder) => folder.uri.scheme === 'file')
    .map((folder) => folder.uri.fsPath);
  const found = await definitionToUse(folders);
  if (found) return found;
  const picked = await vscode.window.showOpenDialog({
    title: 'Create Workspace: choose a devcontainer.json',
    openLabel: 'Use This Definition',
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    filters: { 'Dev container definition': ['json', 'jsonc'] },
    ...(folders[0] ? { defaultUri: vscode.Uri.file(folders[0]) } : {}),
  });
  return picked?.[0]?.fsPath;
}

/**
 * Says what the definition leaves aside (a warning, not in the way) and what it refuses (an error:
 * nothing is created); every line goes to "Berth: Build". True when the create may go on.
 */
function report(definition: Definition): boolean {
  const { warnings, refusals, located } = definition;
  const file = path.basename(located.file);
  const out = buildChannel();
  if (warnings.length || refusals.length) out.appendLine(`--- ${located.file} ---`);
  // The lines are the CLI's too: its advice (a flag to pass) is left out here; the header names the file.
  const shown = (line: string) => forVsCode(line.replace(located.file, file));
  for (const line of warnings) out.appendLine(shown(line));
  for (const line of refusals) out.appendLine(shown(line));
  const show = (choice: string | undefined) => choice === SHOW_OUTPUT && out.show(true);
  if (refusals.length) {
    // Each line says where, what and why ("devcontainer.json:3:3: privileged: refused: …; remove it").
    const more = refusals.length > 1 ? ` (and ${refusals.length - 1} more: see the output)` : '';
    void vscode.window
      .showErrorMessage(`Nothing was created: ${shown(refusals[0] ?? '')}${more}`, SHOW_OUTPUT)
      .then(show);
    return false;
  }
  if (warnings.length) {
    const count = warnings.length === 1 ? 'One property' : `${warnings.length} properties`;
    void vscode.window
      .showWarningMessage(`${count} of ${file} ${warnings.length === 1 ? 'is' : 'are'} ignored by Berth.`, SHOW_OUTPUT)
      .then(show);
  }
  return true;
}

/** Creates workspace `name` from `definition` on `connection`: hostRequirements checked, its `build` built first. */
async function create(services: Services, connection: HostConnection, name: string, definition: Definition) {
  const info = await connection.request('host.info', {});
  const unmet = unmetRequirements(definition.requirements, info);
  const file = definition.located.file;
  const short = (line: string) => line.replace(file, path.basename(file));
  if (unmet.length) throw new BerthError('no_capacity', unmet.map(short).join('; '));
  const params: ParamsInput<'workspace.create'> = { name, ...definition.spec };
  const build = params.image === undefined ? definition.build : undefined;
  const { workspace } = await withBuildProgress(`Creating ${name}`, connection, async (steps) => {
    if (build) Object.assign(params, await steps.build(build));
    return connection.request('workspace.create', params, steps);
  });
  services.log.info(`created ${name} on ${connection.host.label} from ${definition.located.file}`);
  void offerConnect(services, connection, workspace);
}

/**
 * Berth: Create Workspace from devcontainer.json… — the open folder's definition (or one picked), a
 * name (the folder's, made valid), then what it leaves aside or refuses, and its build on the host,
 * whose log streams into "Berth: Build".
 */
export async function createFromDevcontainer(services: Services, arg?: unknown): Promise<void> {
  const connection = await resolveHost(services, arg);
  if (!connection) return;
  const file = await chooseDefinition();
  if (!file) return;
  const folder = projectFolder(file);
  const name = await vscode.window.showInputBox({
    title: `New workspace on ${connection.host.label} from ${path.basename(file)}`,
    prompt: `Name of the workspace (defined by ${file})`,
    value: defaultWorkspaceName(folder),
    ignoreFocusOut: true,
    validateInput: (value) => nameProblem(connection, value),
  });
  if (name === undefined) return;
  let definition: Definition;
  try {
    definition = await loadDevcontainer(file, name, process.env, folder);
  } catch (err) {
    return showError(services, `read ${path.basename(file)}`, err);
  }
  if (!report(definition)) return;
  try {
    await create(services, connection, name, definition);
  } catch (err) {
    showError(services, `create ${name}`, err);
  }
}
