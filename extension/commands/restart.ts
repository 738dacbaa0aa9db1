import { showError } from './errors';
import { withAgentProgress } from './progress';
import { resolveWorkspace } from './resolve';
import type { Services } from '../services';

/** Berth: Restart Workspace — stop and start as one operation on the agent (its GPUs stay its own). */
export async function restartWorkspace(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg, ['running', 'stopped', 'failed']);
  if (!target) return;
  const { connection, workspace } = target;
  try {
    await withAgentProgress(`Restarting ${workspace.name}`, (options) =>
      connection.request('workspace.restart', { name: workspace.name, owner: workspace.owner }, options),
    );
  } catch (err) {
    showError(services, `restart ${workspace.name}`, err);
  }
}
