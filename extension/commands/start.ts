import { showError } from './errors';
import { withAgentProgress } from './progress';
import { resolveWorkspace } from './resolve';
import type { Services } from '../services';

/** Berth: Start Workspace. */
export async function startWorkspace(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg, ['stopped', 'failed']);
  if (!target) return;
  const { connection, workspace } = target;
  try {
    await withAgentProgress(`Starting ${workspace.name}`, (options) =>
      connection.request('workspace.start', { name: workspace.name, owner: workspace.owner }, options),
    );
  } catch (err) {
    showError(services, `start ${workspace.name}`, err);
  }
}
