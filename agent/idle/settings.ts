import type { WorkspaceSpec } from '../../protocol';
import type { IdleSettings } from './policy';

/** The agent's idle settings, in seconds; `berth serve --idle-*` flags map onto them. */
export interface IdleConfig {
  /** Default seconds without presence (and not busy) before an idle stop; 0 = never. */
  timeout: number;
  /** Default seconds an SSH connection with nobody present keeps a workspace running. */
  attachedGrace: number;
  /** Default hard cap on one run, in seconds; 0 = none. */
  maxLifetime: number;
  /**
   * The admin's cap, in seconds, on how long any workspace may sit idle, attached or not, whatever
   * its own settings say (`idleTimeout` 0 included); 0 = no cap.
   */
  idleMax: number;
  /** Seconds between the warning and the idle stop. */
  warnBefore: number;
  /** The longest "keep running" a user may ask for (the admin's cap). */
  keepaliveMax: number;
  /** A keepalive without a duration keeps the workspace this long. */
  keepaliveDefault: number;
  /** Seconds between two samples of every running workspace. */
  interval: number;
  /**
   * Cores of CPU use, averaged over one interval, above which a workspace is busy. 0.1 core: an idle
   * workspace (sshd, a shell, an idle vscode-server and its extension host) stays around 0.01–0.03,
   * while any real work (a build, tests, a data loader, `yes`) uses half a core or more.
   */
  cpuThreshold: number;
}

/**
 * The defaults of issue #5: 30 min idle, warning 5 min ahead, samples every 30 s; the attached grace
 * is 1 h since typing counts as presence (issue #16; BENCHMARKS.md, idle trace replay).
 */
export function defaultIdleConfig(): IdleConfig {
  return {
    timeout: 30 * 60,
    attachedGrace: 3600,
    maxLifetime: 0,
    idleMax: 0,
    warnBefore: 5 * 60,
    keepaliveMax: 12 * 3600,
    keepaliveDefault: 3600,
    interval: 30,
    cpuThreshold: 0.1,
  };
}

/**
 * One workspace's policy settings (ms): its spec's values where set, else the agent's defaults, each
 * idle allowance within the admin's `idleMax` (a workspace saved before the cap was set included).
 */
export function settingsFor(spec: WorkspaceSpec, config: IdleConfig): IdleSettings {
  const capped = (seconds: number) =>
    config.idleMax > 0 ? Math.min(seconds > 0 ? seconds : Infinity, config.idleMax) : seconds;
  return {
    idleTimeout: capped(spec.idleTimeout ?? config.timeout) * 1000,
    attachedGrace: Math.min(spec.attachedGrace ?? config.attachedGrace, capped(Infinity)) * 1000,
    maxLifetime: (spec.maxLifetime ?? config.maxLifetime) * 1000,
    warnBefore: config.warnBefore * 1000,
  };
}

/**
 * What is wrong with idle settings a user asks for beyond the admin's `idleMax` (null: nothing); the
 * agent's defaults and settings saved before the cap are not refused (settingsFor caps them).
 */
export function requireWithinIdleMax(
  spec: { idleTimeout?: number | null | undefined; attachedGrace?: number | null | undefined },
  config: IdleConfig,
): string | null {
  if (config.idleMax <= 0) return null;
  const max = config.idleMax;
  if (spec.idleTimeout === 0) return `idleTimeout 0 (never) is not allowed on this host; ask for at most ${max} s`;
  if (typeof spec.idleTimeout === 'number' && spec.idleTimeout > max) {
    return `idleTimeout ${spec.idleTimeout} s is longer than this host allows; ask for at most ${max} s`;
  }
  if (typeof spec.attachedGrace === 'number' && spec.attachedGrace > max) {
    return `attachedGrace ${spec.attachedGrace} s is longer than this host allows; ask for at most ${max} s`;
  }
  return null;
}
