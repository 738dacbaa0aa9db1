import { HelpRequest, parse, positionals, UsageError } from '../args';
import type { Command } from '../command';
import { table } from '../format';
import { defaultHost, hostNamed, knownHosts, type CliConfig, type HostEntry } from '../hosts';
import { configFile, readConfig, updateConfig } from '../settings';
import { ADD_OPTIONS, addHost, addUsage } from './host-add';

const usage = [
  ...addUsage,
  'berth host ls [--json]         the saved hosts; * marks the default',
  'berth host use NAME            make NAME the default host',
  'berth host rm NAME             forget a host (its agent keeps running)',
].join('\n       ');

/** `berth host`: the hosts the CLI knows, by name; client commands pick one with `--host NAME`. */
export const host: Command = {
  name: 'host',
  summary: 'the hosts the CLI knows: add (over SSH or by URL), ls, use, rm',
  usage,
  async run(argv) {
    const [action, ...rest] = argv;
    if (action === '--help' || action === '-h') {
      throw new HelpRequest(usage, {
        ...ADD_OPTIONS,
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      });
    }
    switch (action) {
      case 'add':
        return addHost(rest);
      case 'ls':
        return listHosts(rest);
      case 'use':
        return useHost(rest);
      case 'rm':
        return removeHost(rest);
      default:
        throw new UsageError(action ? `unknown action "${action}"` : 'missing the action: add, ls, use or rm', usage);
    }
  },
};

/** Where a host's agent is, for people: its URL, or the SSH target and the agent's port there. */
function targetText(entry: HostEntry): string {
  if (!entry.ssh) return entry.url ?? 'ws://127.0.0.1:7420';
  const config = entry.ssh.configFile ? `, -F ${entry.ssh.configFile}` : '';
  return `ssh ${entry.ssh.spec} (agent on 127.0.0.1:${entry.ssh.port} there${config})`;
}

/**
 * A host as `berth host ls --json` shows it: where it is, never its token. Keys named one by one, so
 * that a secret some newer `berth` keeps beside them is not printed either.
 */
function publicHost(config: CliConfig, name: string, isDefault: boolean) {
  const { url, ssh, identity, token } = config.hosts[name] ?? {};
  return { name, default: isDefault, url, ssh, identity, hasToken: Boolean(token) };
}

async function listHosts(argv: string[]): Promise<number> {
  const { values, positionals: rest } = parse(argv, { json: { type: 'boolean' } }, usage);
  positionals(rest, [], usage);
  const config = await readConfig();
  let current: string | undefined;
  try {
    current = defaultHost(config, configFile());
  } catch {
    current = undefined; // a dangling default is listed as none: `berth host use` fixes it
  }
  const names = Object.keys(config.hosts);
  if (values.json) {
    const hosts = names.map((name) => publicHost(config, name, name === current));
    process.stdout.write(`${JSON.stringify(hosts, null, 2)}\n`);
    return 0;
  }
  if (!names.length) {
    process.stdout.write(
      'No hosts. Add one with: berth host add USER@HOST (or: BERTH_TOKEN=… berth host add ws://HOST:PORT)\n',
    );
    return 0;
  }
  const rows = names.map((name) => [name, name === current ? '*' : '', targetText(config.hosts[name] ?? {})]);
  process.stdout.write(`${table(['NAME', 'DEFAULT', 'TARGET'], rows)}\n`);
  return 0;
}

async function useHost(argv: string[]): Promise<number> {
  const [name = ''] = positionals(parse(argv, {}, usage).positionals, ['NAME'], usage);
  await updateConfig((config, file) => {
    hostNamed(config, name, file);
    config.default = name;
  });
  process.stdout.write(`${name} is now the default host\n`);
  return 0;
}

async function removeHost(argv: string[]): Promise<number> {
  const [name = ''] = positionals(parse(argv, {}, usage).positionals, ['NAME'], usage);
  const after = await updateConfig((config, file) => {
    hostNamed(config, name, file);
    delete config.hosts[name];
    if (config.default !== name) return '';
    // The default is gone. The one host left takes its place; among several none does, since commands
    // such as `berth rm` must not quietly go to a host nobody chose.
    const left = Object.keys(config.hosts);
    config.default = left.length === 1 ? left[0] : undefined;
    if (!left.length) return '; no hosts are left';
    if (config.default) return `; ${config.default} is now the default host`;
    return `, the default host; pick another with: berth host use NAME (${knownHosts(config)})`;
  });
  process.stdout.write(`removed ${name}${after}\n`);
  return 0;
}
