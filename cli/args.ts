import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { OptionSpec } from './options';

/**
 * A mistake in how a command was called: printed with the command's usage (unless `brief`: one line
 * is enough), exit code 2.
 */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
    readonly brief = false,
  ) {
    super(message);
  }
}

/** `--help` (or `-h`) was given: `main` prints the usage and each option of `options`. */
export class HelpRequest extends Error {
  constructor(
    readonly usage: string,
    readonly options: Record<string, OptionSpec>,
  ) {
    super('help');
  }
}

/** Options every client command accepts: `--host NAME` picks a host of the config file. */
export const CLIENT_OPTIONS = {
  host: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** Edits to turn `a` into `b` (Levenshtein distance). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(
        (row[j] ?? 0) + 1,
        (next[j - 1] ?? 0) + 1,
        (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    row = next;
  }
  return row[b.length] ?? 0;
}

/** The valid option nearest to `given` (`--cpu` → `--cpus`, `--mem` → `--memory`), if one is near. */
export function nearestOption(given: string, options: Record<string, OptionSpec>): string | undefined {
  const bare = given.replace(/^-+/, '').replace(/=.*$/, '');
  if (!bare) return undefined;
  const names = Object.keys(options).filter((name) => name.length > 1);
  const prefixed = names.filter((name) => name.startsWith(bare));
  if (prefixed.length === 1) return `--${prefixed[0]}`;
  const scored = names.map((name) => ({ name, d: distance(bare, name) })).sort((x, y) => x.d - y.d);
  const best = scored[0];
  return best && best.d <= (bare.length <= 3 ? 1 : 2) ? `--${best.name}` : undefined;
}

/** The command of a usage text: `berth create` of `berth create NAME [--image IMG]…`. */
const commandOf = (usage: string) => /^berth [a-z]+/.exec(usage)?.[0] ?? 'berth';

/** Node's parser text rewritten as one line: what is wrong and what to do. */
function parseProblem(err: Error & { code?: string }, options: Record<string, OptionSpec>, usage: string): UsageError {
  const unknown = /^Unknown option '([^']+)'/.exec(err.message);
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const given = unknown[1] ?? '';
    const near = nearestOption(given, options);
    const hint = near ? `did you mean ${near}?` : `${commandOf(usage)} --help lists the options`;
    return new UsageError(`unknown option ${given}; ${hint}`, usage, true);
  }
  const missing = /^Option '(-\S+)(?:, (--\S+))? <value>' argument missing/.exec(err.message);
  if (missing) return new UsageError(`${missing[2] ?? missing[1]} needs a value`, usage);
  const flag = /^Option '(?:-\S+, )?(--?\S+)' does not take an argument/.exec(err.message);
  if (flag) return new UsageError(`${flag[1]} takes no value`, usage);
  return new UsageError(err.message, usage);
}

/**
 * `parseArgs` with strict checking, and errors that carry the command's usage: an unknown option is
 * one line naming the nearest valid one. `--help` or `-h` (before any `--`) is a {@link HelpRequest}.
 */
export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, usage: string) {
  const own = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (own.includes('--help') || own.includes('-h')) {
    throw new HelpRequest(usage, { ...(options as Record<string, OptionSpec>), help: { type: 'boolean', short: 'h' } });
  }
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw parseProblem(err as Error, options, usage);
  }
}

/** Exactly `count` positionals, or a usage error naming what is missing or extra. */
export function positionals(values: string[], names: string[], usage: string): string[] {
  if (values.length < names.length) throw new UsageError(`missing ${names.slice(values.length).join(' ')}`, usage);
  if (values.length > names.length) throw new UsageError(`unexpected argument "${values[names.length]}"`, usage);
  return values;
}

/** A number option within bounds, or a usage error. */
export function numberOption(
  name: string,
  text: string | undefined,
  usage: string,
  integer = false,
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} ${text}: expected ${integer ? 'a whole number' : 'a number'}`, usage);
  }
  return value;
}
