import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how a command was called: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
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

/** `parseArgs` with strict checking, and errors that carry the command's usage. */
export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message, usage);
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
