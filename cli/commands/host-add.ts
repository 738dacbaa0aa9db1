import * as os from 'node:os';
import * as path from 'node:path';
import { BerthError } from '../../protocol';
import { numberOption, parse, positionals, UsageError } from '../args';
import { AgentClient } from '../../client/agent-client';
import { defaultHostName, HostName, type CliConfig, type HostEntry, type SshHostSettings } from '../hosts';
import { parsePortRange } from '../../agent/workspaces/ports';
import { remoteHost } from '../remote';
import { configFile, readConfig, tokenFlag, updateConfig } from '../settings';

/** Usage of `berth host add`, shown by `berth host --help` too. */
export const addUsage = [
  'berth host add [--name NAME] [-F SSH_CONFIG] [--agent-port PORT] [--ports FIRST-LAST] [--identity FILE] USER@HOST[:PORT]|ALIAS',
  'berth host add [--name NAME] [--token -] [--identity FILE] ws://HOST:PORT   (the token from BERTH_TOKEN or stdin)',
];
const usage = addUsage.join('\n       ');

/** The options of `berth host add`. */
export const ADD_OPTIONS = {
  name: { type: 'string' },
  token: { type: 'string' },
  identity: { type: 'string', short: 'i' },
  F: { type: 'string', short: 'F' },
  'agent-port': { type: 'string' },
  ports: { type: 'string' },
} as const;

/**
 * `berth host add SPEC`: saves a host in the config file under a name of its own; the first one saved
 * becomes the default. A `ws://` URL is an agent reached directly (its token by `--token` or
 * `BERTH_TOKEN`, checked before saving). Anything else is an SSH target: over the user's own SSH
 * (ssh-agent or keys, ~/.ssh/config, known_hosts) it installs this very `berth` there (or upgrades it),
 * starts the agent on loopback and mints a token; later commands reach the agent through an SSH tunnel.
 */
export async function addHost(argv: string[]): Promise<number> {
  const { values, positionals: rest } = parse(argv, ADD_OPTIONS, usage);
  const [spec = ''] = positionals(rest, ['SPEC'], usage);
  const direct = /^wss?:\/\//.test(spec);
  if (direct && (values.F || values['agent-port'] || values.ports)) {
    throw new UsageError('-F, --agent-port and --ports are for hosts reached over SSH, not a ws:// URL', usage);
  }
  if (!direct && values.token) {
    throw new UsageError('--token is for a ws:// URL; over SSH the token is made on the host', usage);
  }
  const sshConfig = values.F ? path.resolve(values.F) : undefined;
  const name = values.name ?? defaultHostName(direct ? { url: spec } : { ssh: { spec } });
  if (!HostName.safeParse(name).success) {
    throw new UsageError(`--name ${name}: use letters, digits, ".", "_" and "-" (at most 63)`, usage);
  }
  const identity = values.identity ? { identity: path.resolve(values.identity) } : {};
  const target: HostEntry = direct
    ? { url: spec }
    : { ssh: { spec, port: 0, ...(sshConfig ? { configFile: sshConfig } : {}) } };
  // Fail before any SSH work when the name is taken; checked again when saving.
  nameFree(await readConfig(), name, target, configFile());
  let entry: HostEntry;
  let said: string;
  if (direct) {
    const token = (await tokenFlag(values.token)) || process.env.BERTH_TOKEN;
    if (!token) {
      throw new UsageError(
        `${spec} needs a token: set BERTH_TOKEN or pipe it in with --token - (make one on the host with: berth token create --user NAME)`,
        usage,
      );
    }
    const client = await AgentClient.connect(spec, token);
    const { user } = client.welcome;
    client.close();
    entry = { url: spec, token, ...identity };
    said = `${spec} as ${user.name}${user.admin ? ' (admin)' : ''}`;
  } else {
    const port = numberOption('agent-port', values['agent-port'], usage, true);
    ({ entry, said } = await installOverSsh(spec, sshConfig, port, values.ports));
    entry = { ...entry, ...identity };
  }
  const { isDefault, where } = await updateConfig((config, file) => {
    nameFree(config, name, target, file);
    const previous = config.hosts[name];
    config.hosts[name] = { ...(previous?.identity ? { identity: previous.identity } : {}), ...entry };
    config.default ??= name;
    return { isDefault: config.default === name, where: file };
  });
  process.stdout.write(`${name}: ${said}; saved in ${where}${isDefault ? ' as the default host' : ''}\n`);
  return 0;
}

/**
 * Throws when `name` is taken by another host. Saving the same target again under its name is allowed:
 * it refreshes the host (a new token; over SSH the agent is started again).
 */
function nameFree(config: CliConfig, name: string, target: HostEntry, file: string): void {
  const existing = Object.hasOwn(config.hosts, name) ? config.hosts[name] : undefined;
  if (!existing) return;
  const same = target.ssh
    ? existing.ssh?.spec === target.ssh.spec && existing.ssh.configFile === target.ssh.configFile
    : !existing.ssh && existing.url === target.url;
  if (same) return;
  throw new BerthError(
    'already_exists',
    `a host named "${name}" is already in ${file}; remove it first with: berth host rm ${name}, or pick another name with --name NAME`,
  );
}

/** Installs (or upgrades) and starts the agent on an SSH host and mints a token there. */
async function installOverSsh(
  spec: string,
  sshConfig: string | undefined,
  port: number | undefined,
  ports: string | undefined,
): Promise<{ entry: HostEntry; said: string }> {
  if (ports !== undefined) parseRange(ports);
  const ssh: SshHostSettings = {
    spec,
    port: port ?? 0,
    ...(sshConfig ? { configFile: sshConfig } : {}),
    ...(ports ? { ports } : {}),
  };
  const remote = remoteHost(ssh, { announce: false });
  try {
    const { agent } = await remote.ready();
    const token = await remote.mintToken(`berth CLI on ${os.hostname()}`);
    return {
      entry: { ssh: { ...ssh, port: agent.port }, token },
      said: `agent ${agent.build} ${agent.action} (127.0.0.1:${agent.port} there, node ${agent.node})`,
    };
  } finally {
    remote.close();
  }
}

function parseRange(ports: string): void {
  try {
    parsePortRange(ports);
  } catch (err) {
    throw new UsageError((err as Error).message, usage);
  }
}
