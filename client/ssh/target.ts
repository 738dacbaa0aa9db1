import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import SSHConfig from 'ssh-config';
import { RemoteError } from './errors';

/** Where and as whom a compute host is reached over SSH, after the user's ~/.ssh/config is applied. */
export interface SshEndpoint {
  hostName: string;
  port: number;
  user: string;
  /** Private keys named by `IdentityFile`, `~` expanded; empty means ssh's default key files and agent. */
  identityFiles: string[];
  /** Known-hosts files to check the host key against (`UserKnownHostsFile`, else ~/.ssh/known_hosts). */
  knownHostsFiles: string[];
  /** `HostKeyAlias`: the name the host key is filed under instead of the host name and port. */
  hostKeyAlias?: string;
}

/** The Host block of a compute host reached over SSH, which its workspaces' blocks `ProxyJump` through. */
export interface JumpHostEntry extends SshEndpoint {
  /** `berth.<host>`. */
  alias: string;
  /** The user's own hops to the host, if their config has any. */
  proxyJump?: string;
}

/** Where and as whom to reach a compute host over SSH, after the user's ~/.ssh/config is applied. */
export interface SshTarget extends SshEndpoint {
  /** What the user typed: `user@host[:port]` or an alias of their SSH config. */
  spec: string;
  /** `ProxyJump` hops as written (`[user@]host[:port]` or aliases), in order; empty for a direct connection. */
  proxyJump: string[];
}

/** Options of `resolveTarget`; the defaults are the user's own files. */
export interface ResolveOptions {
  /** The SSH config file (default ~/.ssh/config; missing is fine). */
  configFile?: string;
  home?: string;
  /** The local user name, for hosts that name none. */
  localUser?: string;
}

const SPEC = /^(?:([^@\s:]+)@)?([^@\s:[\]]+|\[[^\]\s]+\])(?::(\d{1,5}))?$/;

/** Splits `user@host[:port]` (IPv6 in brackets); null when `spec` is not of that form. */
export function parseSpec(spec: string): { user?: string; host: string; port?: number } | null {
  const match = SPEC.exec(spec.trim());
  if (!match?.[2]) return null;
  const port = match[3] ? Number(match[3]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) return null;
  return {
    host: match[2].replace(/^\[|\]$/g, ''),
    ...(match[1] ? { user: match[1] } : {}),
    ...(port ? { port } : {}),
  };
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(/\s+/)).filter(Boolean);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Expands `~` and the `%d` `%u` `%h` `%r` `%p` tokens ssh allows in file names. */
function expandPath(file: string, home: string, tokens: Record<string, string>): string {
  const expanded = file.replace(/%([duhrp%])/g, (_, t: string) => (t === '%' ? '%' : (tokens[t] ?? '')));
  return expanded.startsWith('~/') ? path.join(home, expanded.slice(2)) : expanded;
}

/**
 * The text of an SSH config file with its `Include` lines replaced by the files they name (`~` and
 * `*`/`?` in the file name allowed, relative to ~/.ssh), as ssh reads them: the `ssh-config` parser
 * does not follow them, and many users keep their hosts in ~/.ssh/config.d/.
 */
function configText(file: string, home: string, depth = 0): string {
  if (depth > 16 || !existsSync(file) || !statSync(file).isFile()) return '';
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .flatMap((line) => {
      const include = /^\s*include\s+(.+?)\s*$/i.exec(line);
      if (!include?.[1]) return [line];
      const names = include[1].match(/"[^"]*"|\S+/g) ?? [];
      return names.flatMap((quoted) => {
        const name = quoted.replace(/^"|"$/g, '');
        const full = name.startsWith('~/')
          ? path.join(home, name.slice(2))
          : path.resolve(path.join(home, '.ssh'), name);
        return matchingFiles(full).map((match) => configText(match, home, depth + 1));
      });
    })
    .join('\n');
}

/** The files a path names, with `*` and `?` in its last part matched as ssh's glob does (sorted). */
function matchingFiles(file: string): string[] {
  const base = path.basename(file);
  if (!/[*?]/.test(base)) return [file];
  const dir = path.dirname(file);
  const pattern = new RegExp(
    `^${base
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((entry) => pattern.test(entry) && !entry.startsWith('.'))
    .sort()
    .map((entry) => path.join(dir, entry));
}

/**
 * Resolves a host as the user's `ssh` would: the user's config (parsed by the maintained
 * `ssh-config` package, its `Include`s followed) supplies HostName, User, Port, IdentityFile, UserKnownHostsFile,
 * HostKeyAlias and ProxyJump for the name; `user@` and `:port` in `spec` win over the config.
 */
export function resolveTarget(spec: string, options: ResolveOptions = {}): SshTarget {
  const parsed = parseSpec(spec);
  if (!parsed) {
    throw new RemoteError(
      'invalid_params',
      `"${spec}" is not user@host[:port] or an SSH alias; e.g. alice@gpu1.lab:22`,
    );
  }
  const home = options.home ?? os.homedir();
  const configFile = options.configFile ?? path.join(home, '.ssh', 'config');
  const computed = SSHConfig.parse(configText(configFile, home)).compute(parsed.host);
  const hostName = first(computed.HostName)?.replace(/%h/g, parsed.host) ?? parsed.host;
  const user = parsed.user ?? first(computed.User) ?? options.localUser ?? os.userInfo().username;
  const port = parsed.port ?? Number(first(computed.Port) ?? 22);
  const tokens = { d: home, u: options.localUser ?? os.userInfo().username, h: hostName, r: user, p: String(port) };
  const jump = first(computed.ProxyJump);
  const knownHosts = list(computed.UserKnownHostsFile).map((file) => expandPath(file, home, tokens));
  return {
    spec: spec.trim(),
    hostName,
    port,
    user,
    identityFiles: list(computed.IdentityFile).map((file) => expandPath(file, home, tokens)),
    knownHostsFiles: knownHosts.length ? knownHosts : [path.join(home, '.ssh', 'known_hosts')],
    ...(computed.HostKeyAlias ? { hostKeyAlias: first(computed.HostKeyAlias) } : {}),
    proxyJump: jump && jump.toLowerCase() !== 'none' ? jump.split(',').map((hop) => hop.trim()) : [],
  };
}

/** How ssh files the host's key: the `HostKeyAlias`, else `host` on port 22 and `[host]:port` on any other. */
export function knownHostsName(target: Pick<SshTarget, 'hostName' | 'port' | 'hostKeyAlias'>): string {
  if (target.hostKeyAlias) return target.hostKeyAlias;
  return target.port === 22 ? target.hostName : `[${target.hostName}]:${target.port}`;
}

/** The managed Host block (`alias`, e.g. `berth.<host>`) that stock ssh jumps through to reach `target`'s workspaces. */
export function jumpHostEntry(alias: string, target: SshTarget): JumpHostEntry {
  return {
    alias,
    hostName: target.hostName,
    port: target.port,
    user: target.user,
    identityFiles: target.identityFiles,
    knownHostsFiles: target.knownHostsFiles,
    ...(target.hostKeyAlias ? { hostKeyAlias: target.hostKeyAlias } : {}),
    ...(target.proxyJump.length ? { proxyJump: target.proxyJump.join(',') } : {}),
  };
}
