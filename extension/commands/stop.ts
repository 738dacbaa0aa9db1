import { showError } from './errors';
import { withAgentProgress } from './progress';
import { resolveWorkspace } from './resolve';
import type { Services } from '../services';

/** Berth: Stop Workspace (its home and port are kept). */
export async function stopWorkspace(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg, ['running', 'starting', 'failed']);
  if (!target) return;
  const { connection, workspace } = target;
  try {
    await withAgentProgress(`Stopping ${workspace.name}`, (options) =>
      connection.request('workspace.stop', { name: workspace.name, owner: workspace.owner }, options),
    );
  } catch (err) {
    showError(services, `stop ${workspace.name}`, err);
  }
}
