/**
 * The idle decision, as a pure function of one workspace's settings and clocks: no I/O, no timers,
 * no `Date.now()`. The monitor drives it on every tick; the trace-replay benchmark drives the same
 * function over day-long synthetic traces. All times are epoch milliseconds, all durations ms.
 *
 * The rules (issue #5):
 * - "work" is someone present (a client's activity report), the workspace busy (CPU or GPU), a
 *   keepalive, or its start. The idle deadline is `lastWorkAt + idleTimeout`; while busy there is none.
 * - An attached SSH connection with nobody present keeps the workspace alive, but at most
 *   `attachedGrace` after the last work: a forgotten window does not hold a GPU forever. When the
 *   connection goes, the ordinary idle timeout runs from the moment it was last seen.
 * - The grace is for connections whose presence nobody reports and nobody types in. Once a client
 *   has reported presence since the current connections opened (the Berth extension in the window
 *   that holds them), or input was read from one of the workspace's terminals since then (typing,
 *   issue #16: a plain `ssh -t` login, a VS Code terminal), that silence is the answer: the idle
 *   timeout applies as if no connection were open. Typing is presence: it is work like a report.
 * - `keepUntil` (an explicit "keep running until") pushes the idle deadline to at least that time.
 * - `maxLifetime` is a hard cap from the start of the run, whatever the signals say.
 * - Every stop is announced: the first decision inside the warning window is `warn`, and the stop
 *   comes no earlier than `warnBefore` after that warning (even when a tick came late or the agent
 *   was down past the deadline), and never before the time the warning announced.
 * - While `busy` is not yet known (no CPU sample since the start or an agent restart) the policy
 *   neither warns nor stops.
 */

/** Per-workspace settings in ms; `idleTimeout` and `maxLifetime` 0 mean never. */
export interface IdleSettings {
  idleTimeout: number;
  attachedGrace: number;
  maxLifetime: number;
  warnBefore: number;
}

/** A warning that was sent: when, and the stop time it announced. */
export interface Warning {
  at: number;
  stopAt: number;
}

/** What the policy knows about one running workspace at `now`. */
export interface IdleClocks {
  now: number;
  /** When this run began (for `maxLifetime`). */
  startedAt: number;
  /** The last present report, busy sample, keepalive or start, whichever is latest (typing counts too). */
  lastWorkAt: number;
  /** The last time an SSH connection was seen (now, while one is open); null if never in this run. */
  lastAttachedAt: number | null;
  /** SSH connections open now. */
  attached: number;
  /** When the current stretch of open connections began; null when none is open. */
  attachedSince: number | null;
  /** The last presence report of this run; null if none. */
  lastPresentAt: number | null;
  /** The last sample of this run that saw input read from a terminal of the workspace; null if none. */
  lastTypingAt: number | null;
  /** Whether CPU or GPU use is above the threshold now; null while not measured yet. */
  busy: boolean | null;
  /** An explicit "keep running until"; null if none. */
  keepUntil: number | null;
  /** The warning sent for the pending stop, if any. */
  warning: Warning | null;
}

/** Why an automatic stop happens (the `StopReason`s the idle monitor uses). */
export type IdleStopReason = 'idle' | 'attached-grace' | 'max-lifetime';

/** What to do now. `warning` is the warning state to keep for the next decision. */
export interface Decision {
  action: 'keep' | 'warn' | 'stop';
  /** When the workspace would stop if nothing changes; null when it never would. */
  stopAt: number | null;
  /** The reason of that stop; null when there is none. */
  stopReason: IdleStopReason | null;
  /** In words, for the warning and `berth idle`: "nobody present for 25 min and not busy". */
  reason: string;
  warning: Warning | null;
}

/** A duration in the largest sensible unit: `45 s`, `25 min`, `4 h`, `1 h 30 min`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

interface Deadline {
  at: number;
  stopReason: IdleStopReason;
  reason: string;
}

/** Whether a client reported presence, or someone typed, since the open connections opened (that speaks for them). */
function reportedSinceAttach({ attachedSince, lastPresentAt, lastTypingAt }: IdleClocks): boolean {
  if (attachedSince === null) return false;
  return (lastPresentAt ?? -Infinity) >= attachedSince || (lastTypingAt ?? -Infinity) >= attachedSince;
}

/** The idle deadline without the warning rule, or null when idleness never stops the workspace. */
function idleDeadline(settings: IdleSettings, clocks: IdleClocks): Deadline | null {
  const { idleTimeout, attachedGrace } = settings;
  if (idleTimeout <= 0 || clocks.busy === true) return null;
  const { now, lastAttachedAt, attached, keepUntil } = clocks;
  const lastWorkAt = Math.max(clocks.lastWorkAt, clocks.lastTypingAt ?? -Infinity);
  const byWork = lastWorkAt + idleTimeout;
  const reported = attached > 0 && reportedSinceAttach(clocks);
  const byAttached =
    lastAttachedAt === null || reported
      ? -Infinity
      : Math.min(attached > 0 ? Infinity : lastAttachedAt + idleTimeout, lastWorkAt + attachedGrace);
  const at = Math.max(byWork, byAttached, keepUntil ?? -Infinity);
  const absent = formatDuration(now - lastWorkAt);
  if (keepUntil !== null && keepUntil >= Math.max(byWork, byAttached)) {
    return { at, stopReason: 'idle', reason: `kept running until ${new Date(keepUntil).toISOString()}` };
  }
  if (reported) {
    return { at, stopReason: 'idle', reason: `nobody present or typing and not busy for ${absent}` };
  }
  if (attached > 0) {
    return {
      at,
      stopReason: 'attached-grace',
      reason: `${attached === 1 ? 'an SSH connection' : `${attached} SSH connections`} open but nobody present, typing or busy for ${absent} (attached grace ${formatDuration(attachedGrace)})`,
    };
  }
  return { at, stopReason: 'idle', reason: `nobody present and not busy for ${absent}` };
}

/** The earlier of the idle deadline and the lifetime cap. */
function deadline(settings: IdleSettings, clocks: IdleClocks): Deadline | null {
  const idle = idleDeadline(settings, clocks);
  const life: Deadline | null =
    settings.maxLifetime > 0
      ? {
          at: clocks.startedAt + settings.maxLifetime,
          stopReason: 'max-lifetime',
          reason: `running for ${formatDuration(clocks.now - clocks.startedAt)} (max lifetime ${formatDuration(settings.maxLifetime)})`,
        }
      : null;
  if (!idle) return life;
  if (!life) return idle;
  return life.at < idle.at ? life : idle;
}

/** Decides what the monitor does with one running workspace now. */
export function decide(settings: IdleSettings, clocks: IdleClocks): Decision {
  const next = deadline(settings, clocks);
  if (!next) {
    const reason = clocks.busy ? 'busy' : 'idle stop disabled';
    return { action: 'keep', stopAt: null, stopReason: null, reason, warning: null };
  }
  const { now, warning } = clocks;
  const base = { stopReason: next.stopReason, reason: next.reason };
  if (now < next.at - settings.warnBefore) return { ...base, action: 'keep', stopAt: next.at, warning: null };
  if (clocks.busy === null) {
    return { ...base, action: 'keep', stopAt: Math.max(next.at, now + settings.warnBefore), warning };
  }
  if (!warning) {
    const stopAt = Math.max(next.at, now + settings.warnBefore);
    return { ...base, action: 'warn', stopAt, warning: { at: now, stopAt } };
  }
  const stopAt = Math.max(next.at, warning.stopAt);
  if (stopAt > warning.stopAt) return { ...base, action: 'warn', stopAt, warning: { at: warning.at, stopAt } };
  return { ...base, action: now >= stopAt ? 'stop' : 'keep', stopAt, warning };
}
