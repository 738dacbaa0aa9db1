import { showError } from './errors';
import { withAgentProgress } from './progress';
import { resolveWorkspace } from './resolve';
import type { Services } from '../services';

/**
 * Berth: Cancel Waiting for GPUs. Ends a queued create or start from any window (the owner's or an
 * admin's); the workspace stays, stopped, and the window that queued it is told who cancelled.
 */
export async function cancelWaiting(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg, ['creating', 'starting']);
  if (!target) return;
  const { connection, workspace } = target;
  try {
    await withAgentProgress(`Cancelling ${workspace.name}`, (options) =>
      connection.request('workspace.stop', { name: workspace.name, owner: workspace.owner }, options),
    );
  } catch (err) {
    showError(services, `cancel ${workspace.name}`, err);
  }
}
