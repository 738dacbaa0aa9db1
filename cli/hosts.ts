import { z } from 'zod';
import { BerthError, DEFAULT_AGENT_URL } from '../protocol';

/** A host the CLI reaches over SSH, as `berth host add` saved it in the config file. */
export interface SshHostSettings {
  /** `user@host[:port]` or an alias of the SSH config. */
  spec: string;
  /** The SSH config file (`-F`), when not ~/.ssh/config. */
  configFile?: string;
  /** The agent's loopback port on the host. */
  port: number;
  /** The workspace SSH port range the agent there was started with (`--ports`), kept for its restarts. */
  ports?: string;
}

/** A host name in the config file: what `--host`, `berth host use` and `berth host rm` take. */
export const HostName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a host name is letters, digits, ".", "_" and "-" (at most 63)')
  // Names every plain object already has (`constructor`, `toString`...) would read as hosts nobody saved.
  .refine((name) => !(name in Object.prototype), 'is a reserved name (a property of every object); choose another');

const SshHost = z.looseObject({
  spec: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  configFile: z.string().optional(),
  ports: z
    .string()
    .regex(/^\d+-\d+$/)
    .optional(),
});

/**
 * One host of the config file: an agent URL, or an SSH host whose agent is reached through a tunnel.
 * Keys it does not know (a newer `berth`'s, or a person's) are kept, so that rewriting the file never
 * drops them.
 */
export const HostEntry = z.looseObject({
  url: z.string().optional(),
  ssh: SshHost.optional(),
  token: z.string().optional(),
  /** Private key `berth ssh` offers for the workspaces of this host. */
  identity: z.string().optional(),
});
export type HostEntry = z.infer<typeof HostEntry>;

const HostsFile = z.looseObject({ default: z.string().optional(), hosts: z.record(HostName, HostEntry) });

/** The CLI's config file: named hosts and the one commands use without `--host`; other keys are kept. */
export interface CliConfig {
  [key: string]: unknown;
  default?: string | undefined;
  hosts: Record<string, HostEntry>;
}

/** Where a client command connects: the outcome of flags, environment and config file. */
export interface ClientSettings {
  /** The config file's host the settings came from, if any. */
  host?: string | undefined;
  url: string;
  token: string | undefined;
  /** Private key `berth ssh` offers; unset means ssh's own defaults. */
  identity: string | undefined;
  /** A host reached over SSH (`berth host add`), used when no URL is given by flag or environment. */
  ssh?: SshHostSettings | undefined;
}

/** The flags of a client command that pick its agent. */
export interface TargetFlags {
  url?: string | undefined;
  token?: string | undefined;
  host?: string | undefined;
}

/** The environment variables that pick an agent. */
export interface TargetEnv {
  BERTH_URL?: string | undefined;
  BERTH_TOKEN?: string | undefined;
  BERTH_HOST?: string | undefined;
  BERTH_IDENTITY?: string | undefined;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * The name a host gets when none is given: `local` for an agent on this machine, else the host part of
 * the URL or of the SSH target (`alice@gpu1:2222` → `gpu1`, an SSH config alias stays itself).
 */
export function defaultHostName(target: { url?: string | undefined; ssh?: { spec: string } | undefined }): string {
  let host: string | undefined;
  if (target.ssh) {
    host = target.ssh.spec.replace(/^.*@/, '').replace(/:\d+$/, '');
  } else if (target.url) {
    try {
      host = new URL(target.url).hostname;
    } catch {
      host = undefined;
    }
  } else {
    return 'local'; // the default URL is the agent on this machine
  }
  if (!host) return 'default';
  if (LOOPBACK.has(host) || host.startsWith('127.')) return 'local';
  return (
    host
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 63) || 'default'
  );
}

/**
 * Reads the parsed JSON of the config file (`undefined`: no file). The old one-host form
 * (`{"url","token","identity"}` or `{"ssh","token"}`) reads as that one host, named by
 * {@link defaultHostName} and made the default; the next write saves it in the new form.
 */
export function parseConfig(raw: unknown, file: string): CliConfig {
  if (raw === undefined) return { hosts: hostMap({}) };
  const invalid = (detail: string) =>
    new BerthError('invalid_params', `${file} is not a valid Berth config (${detail}); fix it or move it away`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('expected a JSON object');
  if ('hosts' in raw) {
    const parsed = HostsFile.safeParse(raw);
    if (!parsed.success) throw invalid(issueText(parsed.error));
    return { ...parsed.data, hosts: hostMap(parsed.data.hosts) };
  }
  const legacy = HostEntry.safeParse(raw);
  if (!legacy.success) throw invalid(issueText(legacy.error));
  const entry = Object.fromEntries(Object.entries(legacy.data).filter(([, v]) => v !== undefined)) as HostEntry;
  if (!Object.keys(entry).length) return { hosts: hostMap({}) };
  const name = defaultHostName(entry);
  return { default: name, hosts: hostMap({ [name]: entry }) };
}

/** Hosts by name in an object without a prototype: no name, however odd, reads as something of Object's. */
function hostMap(hosts: Record<string, HostEntry>): Record<string, HostEntry> {
  return Object.assign(Object.create(null) as Record<string, HostEntry>, hosts);
}

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'top level'}: ${issue.message}` : 'unreadable';
}

/** The config as the file holds it: two-space JSON ending in a newline. */
export function serializeConfig(config: CliConfig): string {
  const { default: name, hosts, ...others } = config;
  const out = name === undefined ? { hosts, ...others } : { default: name, hosts, ...others };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** `lab, local`, or a note that there are none, for error messages. */
export function knownHosts(config: CliConfig): string {
  const names = Object.keys(config.hosts);
  return names.length ? `known hosts: ${names.join(', ')}` : 'no hosts are configured; add one with berth host add';
}

/** The host named `name`, or an error listing the names there are. */
export function hostNamed(config: CliConfig, name: string, file: string): HostEntry {
  const entry = Object.hasOwn(config.hosts, name) ? config.hosts[name] : undefined;
  if (!entry) throw new BerthError('not_found', `no host named "${name}" in ${file} (${knownHosts(config)})`);
  return entry;
}

/** The host commands use without `--host`: the default, or the only one; none when there are none. */
export function defaultHost(config: CliConfig, file: string): string | undefined {
  const names = Object.keys(config.hosts);
  if (config.default !== undefined) {
    if (Object.hasOwn(config.hosts, config.default)) return config.default;
    throw new BerthError(
      'not_found',
      `the default host "${config.default}" is not in ${file} (${knownHosts(config)}); pick one with: berth host use NAME`,
    );
  }
  if (names.length <= 1) return names[0];
  throw new BerthError(
    'invalid_params',
    `${file} has several hosts and no default (${knownHosts(config)}); pass --host NAME or pick one with: berth host use NAME`,
  );
}

/**
 * Resolves where a client command connects. Each setting comes from the first that has it: the
 * `--url`/`--token` flags, the host `--host` names, `BERTH_URL`/`BERTH_TOKEN`, the host `BERTH_HOST`
 * names, the default host: a flag outranks the environment, as in most command lines. A URL given
 * by flag or environment takes its token only from the host `--host` names (on the same command
 * line, so meant together) or from a configured host with that very URL: BERTH_HOST, a setting of
 * the shell, ranks below the URL, and one host's token is never sent to another.
 */
export function resolveSettings(config: CliConfig, flags: TargetFlags, env: TargetEnv, file: string): ClientSettings {
  const fromEnv = (value: string | undefined) => (flags.host ? undefined : value);
  const url = flags.url || fromEnv(env.BERTH_URL) || undefined;
  const token = flags.token || fromEnv(env.BERTH_TOKEN) || undefined;
  const name = flags.host || (url ? hostWithUrl(config, url) : env.BERTH_HOST || defaultHost(config, file));
  const entry = name === undefined ? undefined : hostNamed(config, name, file);
  const identity = env.BERTH_IDENTITY || entry?.identity;
  if (!url && entry?.ssh) {
    return { host: name, url: `ssh://${entry.ssh.spec}`, token: token ?? entry.token, identity, ssh: entry.ssh };
  }
  return { host: name, url: url ?? entry?.url ?? DEFAULT_AGENT_URL, token: token ?? entry?.token, identity };
}

function hostWithUrl(config: CliConfig, url: string): string | undefined {
  const bare = (text: string) => text.replace(/\/+$/, '');
  return Object.keys(config.hosts).find((name) => {
    const entry = config.hosts[name];
    return entry?.url !== undefined && !entry.ssh && bare(entry.url) === bare(url);
  });
}
