import type { PresenceSource } from '../../protocol';
import type { IdleConfig } from '../idle/settings';
import { runClocks } from '../idle/clocks';
import { decide, type Decision } from '../idle/policy';
import { settingsFor } from '../idle/settings';
import type { HostSample } from '../idle/signals';
import type { WorkspaceRecord } from '../state/record';

/** Busy, attached and typing as one sample found them. */
export interface Observed {
  attached: number;
  /** Whose terminal input was read since the sample before; null when none. */
  typing: PresenceSource | null;
  cpuCores: number | null;
  gpuBusy: boolean | null;
  busy: boolean | null;
}

/** What the monitor last saw of one running workspace (for `idle.status`). */
export interface IdleObservation extends Observed {
  at: number;
  decision: Decision;
}

/** Busy from a host sample (CPU at or over `cpuThreshold` cores) and the GPU probe. */
export function observe(sample: HostSample, gpuBusy: boolean | null, cpuThreshold: number): Observed {
  const cpuBusy = sample.cpuCores === null ? null : sample.cpuCores >= cpuThreshold;
  const busy = gpuBusy === true || cpuBusy === true ? true : cpuBusy === null ? null : false;
  return { attached: sample.attached, typing: sample.typing, cpuCores: sample.cpuCores, gpuBusy, busy };
}

/** The policy's decision for `record` at `now`, given what was last `observed`. Changes nothing but missing run clocks. */
export function decideFor(
  record: WorkspaceRecord,
  now: number,
  idle: IdleConfig,
  observed: Observed | undefined,
): Decision {
  const clocks = runClocks(record);
  const keepUntil = record.keepUntil ? Date.parse(record.keepUntil) : null;
  return decide(settingsFor(record.spec, idle), {
    now,
    startedAt: Date.parse(clocks.startedAt),
    lastWorkAt: Date.parse(clocks.lastWorkAt),
    lastAttachedAt: clocks.lastAttachedAt ? Date.parse(clocks.lastAttachedAt) : null,
    attached: observed?.attached ?? 0,
    attachedSince: clocks.attachedSince ? Date.parse(clocks.attachedSince) : null,
    lastPresentAt: clocks.lastPresentAt ? Date.parse(clocks.lastPresentAt) : null,
    lastTypingAt: clocks.lastTypingAt ? Date.parse(clocks.lastTypingAt) : null,
    busy: observed?.busy ?? null,
    keepUntil: keepUntil !== null && keepUntil > now ? keepUntil : null,
    warning: clocks.warning ? { at: Date.parse(clocks.warning.at), stopAt: Date.parse(clocks.warning.stopAt) } : null,
  });
}

/**
 * Whether the published deadline must change to `next`. One that appears, goes, or comes closer is
 * published at once; one that only moves later (work pushing it out at every sample) only after it
 * moved by a step (5 min for the default 30-min timeout), so that an active workspace does not
 * redraw every client's tree every sample. The published deadline is thus never later than the real one.
 */
export function deadlineMoved(record: WorkspaceRecord, next: number | null, idle: IdleConfig): boolean {
  const published = record.idleStopAt === undefined ? null : Date.parse(record.idleStopAt);
  if (next === null || published === null) return next !== published;
  const { idleTimeout } = settingsFor(record.spec, idle);
  const step = Math.max(idle.interval * 1000, Math.min(5 * 60_000, idleTimeout / 6));
  return next < published - 1000 || next - published >= step;
}
