import { promises as fs } from 'node:fs';
import { BerthError } from '../protocol';
import * as os from 'node:os';
import * as path from 'node:path';
import { readJson, withFileLock, writeFileAtomic } from '../util/files';
import {
  parseConfig,
  resolveSettings,
  serializeConfig,
  type CliConfig,
  type ClientSettings,
  type TargetFlags,
} from './hosts';

export type { ClientSettings } from './hosts';

/** The CLI's config file: `$BERTH_CONFIG` or ~/.config/berth/config.json. */
export function configFile(): string {
  return process.env.BERTH_CONFIG ?? path.join(os.homedir(), '.config', 'berth', 'config.json');
}

/** The config file's hosts; none when there is no file, an error naming the file when it is broken. */
export async function readConfig(): Promise<CliConfig> {
  const file = configFile();
  return parseConfig(await readJson(file), file);
}

/**
 * Changes the config file: reads it (the old one-host form too), applies `change`, and writes the
 * result in the current form, atomically and readable by its owner only (it holds tokens). Concurrent
 * changes wait for each other.
 */
export async function updateConfig<T>(change: (config: CliConfig, file: string) => T | Promise<T>): Promise<T> {
  const file = configFile();
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  return withFileLock(file, async () => {
    const config = parseConfig(await readJson(file), file);
    const result = await change(config, file);
    await writeFileAtomic(file, serializeConfig(config), { mode: 0o600 });
    return result;
  });
}

/** Reads a token from `input` (stdin): its first line, trimmed; an error when there is none. */
export async function readToken(input: NodeJS.ReadableStream = process.stdin): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += chunk.toString();
    if (text.includes('\n') || text.length > 64 * 1024) break;
  }
  const token = text.split('\n')[0]?.trim() ?? '';
  if (!token) {
    throw new BerthError(
      'invalid_params',
      '--token -: stdin held no token; pipe it in (berth ls --token - < FILE) or set BERTH_TOKEN',
    );
  }
  return token;
}

let stdinToken: Promise<string> | undefined;

/**
 * The value of `--token`: `-` reads the token from stdin (once per process), so that it never shows
 * in the process list as a command-line argument would.
 */
export function tokenFlag(value: string | undefined): Promise<string | undefined> {
  if (value !== '-') return Promise.resolve(value);
  stdinToken ??= readToken();
  return stdinToken;
}

/** Resolves the settings of a client command from its flags, the environment and the config file. */
export async function clientSettings(flags: TargetFlags): Promise<ClientSettings> {
  const token = await tokenFlag(flags.token);
  return resolveSettings(await readConfig(), { ...flags, token }, process.env, configFile());
}
