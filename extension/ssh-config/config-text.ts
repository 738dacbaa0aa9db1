/**
 * Pure text work on OpenSSH config files: the Berth-managed file, and the one `Include` line Berth
 * adds to the user's ~/.ssh/config. No I/O here, so every case is tested in plain Node.
 */
import type { JumpHostEntry } from '../../client/ssh/target';

/** One workspace's Host block. */
export interface HostEntry {
  /** The SSH alias, also the Remote-SSH authority: `berth.<host>.<workspace>`. */
  alias: string;
  hostName: string;
  port: number;
  user: string;
  identityFile: string;
  knownHostsFile: string;
  /** Public host key line the agent reported, pinned under the alias. */
  hostKey: string;
  /** Host to jump through, for workspaces on a remote compute host. */
  proxyJump?: string;
}

const HEADER = [
  '# Managed by the Berth VS Code extension: one Host block per workspace.',
  '# Rewritten whenever workspaces change; edits here are lost. Put your own settings in ~/.ssh/config.',
];

/** Quotes a path for ssh_config when it holds spaces. */
export function configPath(file: string): string {
  return /[\s"]/.test(file) ? `"${file.replace(/"/g, '\\"')}"` : file;
}

/** The Host block of a compute host that workspaces jump through. */
function jumpBlock(entry: JumpHostEntry): string {
  return [
    `Host ${entry.alias}`,
    `  HostName ${entry.hostName}`,
    `  Port ${entry.port}`,
    `  User ${entry.user}`,
    ...entry.identityFiles.map((file) => `  IdentityFile ${configPath(file)}`),
    `  UserKnownHostsFile ${entry.knownHostsFiles.map(configPath).join(' ')}`,
    ...(entry.hostKeyAlias ? [`  HostKeyAlias ${entry.hostKeyAlias}`] : []),
    '  StrictHostKeyChecking yes',
    '  ServerAliveInterval 15',
    '  ServerAliveCountMax 4',
    ...(entry.proxyJump ? [`  ProxyJump ${entry.proxyJump}`] : []),
  ].join('\n');
}

/**
 * The managed config file's text for `entries` (and the compute hosts in `jumps` that some of them
 * jump through), sorted by alias so that rewrites are stable.
 */
export function renderManagedConfig(entries: readonly HostEntry[], jumps: readonly JumpHostEntry[] = []): string {
  const jumpBlocks = [...jumps].sort((a, b) => a.alias.localeCompare(b.alias)).map(jumpBlock);
  const blocks = [...entries]
    .sort((a, b) => a.alias.localeCompare(b.alias))
    .map((entry) =>
      [
        `Host ${entry.alias}`,
        `  HostName ${entry.hostName}`,
        `  Port ${entry.port}`,
        `  User ${entry.user}`,
        `  IdentityFile ${configPath(entry.identityFile)}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${configPath(entry.knownHostsFile)}`,
        `  HostKeyAlias ${entry.alias}`,
        '  StrictHostKeyChecking yes',
        '  ServerAliveInterval 15',
        '  ServerAliveCountMax 4',
        ...(entry.proxyJump ? [`  ProxyJump ${entry.proxyJump}`] : []),
      ].join('\n'),
    );
  return `${[...HEADER, '', ...[...jumpBlocks, ...blocks].map((block) => `${block}\n`)].join('\n').trimEnd()}\n`;
}

/** Undoes {@link configPath}. */
function unquotePath(text: string): string {
  return text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1).replace(/\\"/g, '"') : text;
}

/**
 * The workspace entries of a managed config written by {@link renderManagedConfig} (with the host
 * keys its known_hosts pins) whose alias starts with one of `prefixes`: what the file said of hosts
 * this window has no live connection to, so that a rewrite can keep them. Blocks it cannot read
 * whole (hand edits) are left out.
 */
export function managedEntries(config: string, knownHosts: string, prefixes: readonly string[]): HostEntry[] {
  const keys = new Map<string, string>();
  for (const line of knownHosts.split('\n')) {
    const [alias = '', ...key] = line.trim().split(/\s+/);
    if (alias && key.length >= 2) keys.set(alias, key.join(' '));
  }
  const entries: HostEntry[] = [];
  for (const block of config.split(/\n(?=Host )/)) {
    const lines = block.split('\n');
    const alias = /^Host (\S+)$/.exec(lines[0] ?? '')?.[1];
    if (!alias || !prefixes.some((prefix) => alias.startsWith(prefix))) continue;
    const settings = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const match = /^ {2}(\w+) (.+)$/.exec(line);
      if (match?.[1] && match[2]) settings.set(match[1], match[2]);
    }
    const [hostName, port, user, identityFile, knownHostsFile] = [
      'HostName',
      'Port',
      'User',
      'IdentityFile',
      'UserKnownHostsFile',
    ].map((key) => settings.get(key));
    const hostKey = keys.get(alias);
    if (!hostName || !Number(port) || !user || !identityFile || !knownHostsFile || !hostKey) continue;
    const proxyJump = settings.get('ProxyJump');
    entries.push({
      alias,
      hostName,
      port: Number(port),
      user,
      identityFile: unquotePath(identityFile),
      knownHostsFile: unquotePath(knownHostsFile),
      hostKey,
      ...(proxyJump ? { proxyJump } : {}),
    });
  }
  return entries;
}

/** known_hosts lines pinning each workspace's host key under its alias (see `HostKeyAlias`). */
export function renderKnownHosts(entries: readonly HostEntry[]): string {
  return [...entries]
    .sort((a, b) => a.alias.localeCompare(b.alias))
    .map((entry) => `${entry.alias} ${entry.hostKey}\n`)
    .join('');
}

/** The Include line for the managed file. */
export function includeLine(managedFile: string): string {
  return `Include ${configPath(managedFile)}`;
}

/** Whether `config` already includes `managedFile` (any case of the keyword, quoted or not, any indentation). */
export function hasInclude(config: string, managedFile: string): boolean {
  return config.split(/\r?\n/).some((line) => {
    const match = /^\s*include\s+(.+?)\s*$/i.exec(line);
    if (!match?.[1]) return false;
    const targets = match[1].match(/"[^"]*"|\S+/g) ?? [];
    return targets.some((target) => target.replace(/^"|"$/g, '') === managedFile);
  });
}

/**
 * The user's config with Berth's Include line added at the very top (an Include only applies to
 * every host when it stands before the first Host or Match block), or null when it is already there.
 * Everything else stays byte for byte as it was: a byte-order mark, CRLF line ends, comments.
 */
export function withInclude(config: string, managedFile: string): string | null {
  if (hasInclude(config, managedFile)) return null;
  const bom = config.startsWith('\uFEFF') ? '\uFEFF' : '';
  const body = config.slice(bom.length);
  const eol = body.includes('\r\n') ? '\r\n' : '\n';
  const added = ['# Added by Berth (VS Code): settings of your Berth workspaces.', includeLine(managedFile)].join(eol);
  return `${bom}${added}${eol}${body.length ? eol : ''}${body}`;
}
