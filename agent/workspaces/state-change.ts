import type { WorkspaceState } from '../../protocol';
import { trackRun } from '../idle/clocks';
import { settingsFor } from '../idle/settings';
import { noteTransition, specChanged } from '../state/history';
import type { WorkspaceRecord } from '../state/record';
import { errorMessage } from '../../util/log';
import type { ServiceDeps } from './operation';

/**
 * Saves `record` in `state` (with what `edit` changes besides): the time it entered it, its run
 * clocks, its message, its history. Nothing changes in memory unless the store saved it.
 * Resolves to the GPUs a stop or failure gave back, for the caller to hand to the GPU pool.
 */
export async function saveState(
  deps: ServiceDeps,
  record: WorkspaceRecord,
  state: WorkspaceState,
  message: string | undefined,
  edit: ((draft: WorkspaceRecord) => void) | undefined,
): Promise<string[] | undefined> {
  let released: string[] | undefined;
  await deps.store.change(record, (draft) => {
    const before = JSON.stringify(draft.spec);
    // What failed at the last start goes with its message; `edit` sets it for a new one.
    delete draft.failedStage;
    edit?.(draft);
    const was = draft.state;
    const wasReason = draft.stopReason;
    draft.state = state;
    draft.since = new Date().toISOString();
    trackRun(draft, was, draft.since, settingsFor(draft.spec, deps.config.idle));
    if (message === undefined) delete draft.message;
    else draft.message = message;
    if (JSON.stringify(draft.spec) !== before) specChanged(draft, was, draft.since);
    noteTransition(draft, was, draft.since, wasReason);
    // Every way of stopping (a user, the idle monitor, outside Berth, a failure) gives the GPUs back.
    if ((state === 'stopped' || state === 'failed') && draft.assignedGpus?.length) {
      released = draft.assignedGpus;
      delete draft.assignedGpus;
    }
  });
  return released;
}

/** Removes the secret values staged for the run of `record` (it ended); a failure is logged, never thrown. */
export async function unstage(deps: ServiceDeps, record: WorkspaceRecord): Promise<void> {
  await deps.secrets
    ?.remove(record.id)
    .catch((err: unknown) =>
      deps.log.warn(`could not remove the secrets staged for ${record.owner}/${record.name}: ${errorMessage(err)}`),
    );
}
