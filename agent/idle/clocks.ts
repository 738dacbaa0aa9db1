import type { ActivitySignal, WorkspaceState } from '../../protocol';
import type { WorkspaceRecord } from '../state/record';
import type { IdleSettings } from './policy';

/**
 * The idle fields of a record across lifecycle transitions, applied by the service whenever a state
 * is recorded (so every path — start, update, reconciler, outside changes — keeps them right):
 * - entering `running` from anything else starts a new run: fresh clocks, last activity `started`,
 *   and (given the workspace's `settings`) the deadline of a run nobody touches;
 * - leaving `running` drops the run's clocks, deadline and keepalive (the last activity stays);
 * - `running` → `stopped` without passing through `stopping` happened outside Berth;
 * - `failed` records itself as the stop reason; starting again clears the reason.
 */
export function trackRun(
  record: WorkspaceRecord,
  was: WorkspaceState,
  now: string,
  settings?: Pick<IdleSettings, 'idleTimeout' | 'maxLifetime'>,
): void {
  const state = record.state;
  if (state === 'creating' || state === 'starting') delete record.stopReason;
  if (state === 'failed') record.stopReason = 'failed';
  if (state === 'stopped' && was === 'running') record.stopReason = 'outside';
  if (state === 'running' && was !== 'running') {
    record.idle = { startedAt: now, lastWorkAt: now };
    record.lastActivity = { at: now, signal: 'started' };
    delete record.stopReason;
    // The deadline of a fresh run is known at once; publishing it with the start spares every client
    // a second change (and a tree redraw) at the monitor's first pass.
    const limits = [settings?.idleTimeout, settings?.maxLifetime].filter((ms): ms is number => !!ms && ms > 0);
    if (limits.length) record.idleStopAt = new Date(Date.parse(now) + Math.min(...limits)).toISOString();
    else delete record.idleStopAt;
  } else if (state !== 'running') {
    delete record.idle;
    delete record.idleStopAt;
    delete record.keepUntil;
  }
}

/** Which signal names the last activity when several are seen at once: the strongest evidence of work. */
const PRIORITY: ActivitySignal[] = ['present', 'busy', 'keepalive', 'attached', 'started'];

/** The strongest of the signals seen at one moment, or null when none was. */
export function strongest(signals: Iterable<ActivitySignal>): ActivitySignal | null {
  const seen = new Set(signals);
  return PRIORITY.find((signal) => seen.has(signal)) ?? null;
}

/** The run clocks of a running record, made from its start when it has none (a record from an older agent). */
export function runClocks(record: WorkspaceRecord): NonNullable<WorkspaceRecord['idle']> {
  record.idle ??= { startedAt: record.since, lastWorkAt: record.lastActivity?.at ?? record.since };
  return record.idle;
}
