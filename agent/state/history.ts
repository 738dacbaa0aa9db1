import { HISTORY_LIMIT, type HistoryEntry, type WorkspaceState } from '../../protocol';
import type { WorkspaceRecord } from './record';

/** Adds `entry` to the record's lifecycle history, dropping the oldest beyond {@link HISTORY_LIMIT}. */
export function appendHistory(record: WorkspaceRecord, entry: HistoryEntry): void {
  const history = [...(record.history ?? []), entry];
  record.history = history.slice(Math.max(0, history.length - HISTORY_LIMIT));
}

/**
 * The history entry of a state change, applied by the service whenever a state is recorded (so every
 * path, the reconciler's and the idle monitor's included, writes it), after the stop reason is set:
 * - entering `running` from anything else: `started`;
 * - entering `stopped` from a state where the container ran (`running`, `stopping`, `starting`,
 *   `creating`): `stopped`, with the record's stop reason; a failed one cleared by an update is no stop;
 * - entering `starting` from `stopping` (a restart): the stop it made;
 * - entering `failed`: `failed`, with the message.
 * `message` (what the state change says) goes with the entry; `wasReason` is the stop reason the
 * record had before this change (a restart's, which entering `starting` clears).
 */
export function noteTransition(
  record: WorkspaceRecord,
  was: WorkspaceState,
  now: string,
  wasReason = record.stopReason,
): void {
  const state = record.state;
  if (state === was) return;
  const said = record.message !== undefined ? { message: record.message } : {};
  if (state === 'running') appendHistory(record, { at: now, event: 'started', ...said });
  else if (state === 'stopped' && was !== 'failed') {
    const reason = record.stopReason ? { reason: record.stopReason } : {};
    appendHistory(record, { at: now, event: 'stopped', ...reason, ...said });
  } else if (state === 'starting' && was === 'stopping') {
    appendHistory(record, { at: now, event: 'stopped', ...(wasReason ? { reason: wasReason } : {}) });
  } else if (state === 'failed') appendHistory(record, { at: now, event: 'failed', ...said });
}

/**
 * The history entry of a spec change: `recreated` when the workspace was running and is being made
 * again on the new spec (`was` running, now `starting`), `updated` otherwise.
 */
export function specChanged(record: WorkspaceRecord, was: WorkspaceState, now: string): void {
  const recreated = was === 'running' && record.state === 'starting';
  appendHistory(record, { at: now, event: recreated ? 'recreated' : 'updated' });
}
