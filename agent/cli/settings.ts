import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_AGENT_URL } from '../../protocol';
import type { SshHostSettings } from './remote';

/** Where a client finds its agent: flags, then environment, then the config file written by setup. */
export interface ClientSettings {
  url: string;
  token: string | undefined;
  /** Private key `berth ssh` offers; unset means ssh's own defaults. */
  identity: string | undefined;
  /** A host reached over SSH (`berth host add`), used when no URL is given by flag or environment. */
  ssh?: SshHostSettings | undefined;
}

/** The CLI's config file: `$BERTH_CONFIG` or ~/.config/berth/config.json. */
export function configFile(): string {
  return process.env.BERTH_CONFIG ?? path.join(os.homedir(), '.config', 'berth', 'config.json');
}

function readConfigFile(): Partial<ClientSettings> {
  try {
    return JSON.parse(readFileSync(configFile(), 'utf8')) as Partial<ClientSettings>;
  } catch {
    return {};
  }
}

/** Resolves the settings of a client command from its flags. */
export function clientSettings(flags: { url?: string | undefined; token?: string | undefined }): ClientSettings {
  const file = readConfigFile();
  const url = flags.url ?? process.env.BERTH_URL;
  if (!url && file.ssh) {
    return {
      url: `ssh://${file.ssh.spec}`,
      token: flags.token ?? process.env.BERTH_TOKEN ?? file.token,
      identity: process.env.BERTH_IDENTITY ?? file.identity,
      ssh: file.ssh,
    };
  }
  return {
    url: flags.url ?? process.env.BERTH_URL ?? file.url ?? DEFAULT_AGENT_URL,
    token: flags.token ?? process.env.BERTH_TOKEN ?? file.token,
    identity: process.env.BERTH_IDENTITY ?? file.identity,
  };
}
