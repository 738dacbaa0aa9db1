import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import { rebuildInput } from '../../client/devcontainer/rebuild';
import { withBuildProgress } from './build-progress';
import { showError } from './errors';
import { isOwn, resolveWorkspace, type Target } from './resolve';
import type { Services } from '../services';

/** From the palette: one of the user's own workspaces that were built from a folder, picked. */
async function pickBuilt(services: Services): Promise<Target | undefined> {
  const items = services.manager.all().flatMap((connection) =>
    [...connection.workspaces.values()]
      .filter((ws) => ws.spec.build && !ws.archivedAt && ['running', 'stopped', 'failed'].includes(ws.state))
      .filter((ws) => isOwn(connection, ws))
      .map((workspace) => ({
        label: workspace.name,
        description: `${workspace.state} · ${connection.host.label}`,
        detail: `built from ${workspace.spec.build?.context ?? ''}`,
        target: { connection, workspace },
      })),
  );
  if (!items.length) {
    void vscode.window.showInformationMessage(
      'None of your workspaces was built from a folder; "Create Workspace from devcontainer.json…" makes one.',
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Rebuild which workspace?',
    matchOnDescription: true,
  });
  return picked?.target;
}

/**
 * Berth: Rebuild Workspace — builds the workspace's image again from the folder it was built from
 * (a path on this machine, as recorded in its spec) and recreates its container on the same home
 * and host key; a running one comes up again, a stopped one stays stopped.
 */
export async function rebuildWorkspace(services: Services, arg?: unknown): Promise<void> {
  const target = arg ? await resolveWorkspace(services, arg, undefined, { own: true }) : await pickBuilt(services);
  if (!target) return;
  const { connection, workspace } = target;
  const { name, owner } = workspace;
  const build = workspace.spec.build;
  if (!build) {
    void vscode.window.showInformationMessage(
      `${name} was not built from a folder (its image is ${workspace.spec.image}): there is nothing to rebuild. "Change Image or Resources…" gives it another image.`,
    );
    return;
  }
  if (!(await fs.stat(build.context).catch(() => null))?.isDirectory()) {
    void vscode.window.showErrorMessage(
      `Could not rebuild ${name}: the folder it was built from is gone from this machine (${build.context}). Bring it back to that path, or create the workspace anew from where the folder is now.`,
    );
    return;
  }
  try {
    await withBuildProgress(`Rebuilding ${name}`, connection, async (steps) => {
      const input = await rebuildInput(name, { ...workspace.spec, build });
      const built = await steps.build(input);
      return connection.request('workspace.rebuild', { name, owner, ...built }, steps);
    });
    services.log.info(`rebuilt ${name} on ${connection.host.label} from ${build.context}`);
    void vscode.window.showInformationMessage(`Workspace "${name}" was rebuilt; its home was kept.`);
  } catch (err) {
    showError(services, `rebuild ${name}`, err);
  }
}
