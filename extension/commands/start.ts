import { showError } from './errors';
import { withAgentProgress } from './progress';
import { resolveWorkspace, type Target } from './resolve';
import type { Services } from '../services';

/** Berth: Start Workspace. */
export async function startWorkspace(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg, ['stopped', 'failed']);
  if (target) await startTarget(services, target);
}

/** Starts the workspace of `target` under cancellable progress (also what other commands offer after they are done). */
export async function startTarget(services: Services, { connection, workspace }: Target): Promise<void> {
  try {
    await withAgentProgress(`Starting ${workspace.name}`, (options) =>
      connection.request('workspace.start', { name: workspace.name, owner: workspace.owner }, options),
    );
  } catch (err) {
    showError(services, `start ${workspace.name}`, err);
  }
}
