import type { HistoryEntry, Workspace } from '../protocol';

// The detail view's parts that do not depend on who shows it: shared by `berth get` (cli/workspace-view.ts)
// and the extension's "Show Details" document (extension/wording/details.ts), each of which writes the
// fields it knows in its own words and times in its own format.

/** The spec fields both detail views write themselves; any other (a newer spec's) is shown generically. */
const KNOWN_SPEC = new Set([
  ...['name', 'image', 'cpus', 'memory', 'gpus', 'gpuModel', 'gpuMemory', 'gpuUuids', 'env', 'command'],
  ...['user', 'timezone', 'idleTimeout', 'attachedGrace', 'maxLifetime'],
]);
/** Likewise for the workspace object's own fields. */
const KNOWN_WORKSPACE = new Set([
  ...['id', 'name', 'owner', 'spec', 'state', 'since', 'message', 'createdAt', 'ssh', 'lastActivity'],
  ...['idleStopAt', 'keepUntil', 'stopReason', 'gpus', 'disk', 'gpuQueue', 'history'],
]);

/** `buildContext` → `Build context`. */
const label = (key: string) =>
  key.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`).replace(/^./, (c) => c.toUpperCase());

/** Any value as one line: lists joined with `; `, objects as `key=value` pairs. */
function plain(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.length ? value.map(plain).join('; ') : '(none)';
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const unknownOf = (object: object, known: Set<string>): [string, string][] =>
  Object.entries(object)
    .filter(([key, value]) => !known.has(key) && value !== undefined)
    .map(([key, value]) => [label(key), plain(value)]);

/**
 * The fields of `ws` and of its spec that neither detail view knows, labelled (`Build context`) and
 * written plainly, so that what a newer spec or agent adds (secrets by name, a definition's source)
 * shows without more work. Spec fields first.
 */
export function otherFields(ws: Workspace): [string, string][] {
  return [...unknownOf(ws.spec, KNOWN_SPEC), ...unknownOf(ws, KNOWN_WORKSPACE)];
}

/** One history entry's words, without its time: `stopped (idle): nobody present and not busy for 30m`. */
export function historyWords(entry: HistoryEntry): string {
  return `${entry.event}${entry.reason ? ` (${entry.reason})` : ''}${entry.message ? `: ${entry.message}` : ''}`;
}

/** The last stop the history holds, or undefined when it holds none. */
export function lastStop(ws: Workspace): HistoryEntry | undefined {
  return [...(ws.history ?? [])].reverse().find((entry) => entry.event === 'stopped');
}

/** How many history entries the text views show (the newest); the whole history is in the object. */
export const HISTORY_SHOWN = 20;
