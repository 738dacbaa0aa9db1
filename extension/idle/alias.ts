/** The Berth workspace a VS Code window is connected to, as named by its Remote-SSH authority. */
export interface WorkspaceAddress {
  /** The id of the host (HostConfig.id) whose agent manages the workspace. */
  hostId: string;
  /** The workspace's name (owned by the user the host's token belongs to). */
  name: string;
}

/** `berth.<host id>.<workspace>`, as `workspaceAlias` writes it: neither part can hold a dot. */
const ALIAS = /^berth\.([a-z0-9-]+)\.([a-z][a-z0-9-]{0,62})$/;
const SSH_REMOTE = 'ssh-remote+';

/** The host id and workspace name in an SSH alias `berth.<host>.<workspace>`; undefined for any other alias. */
export function parseAlias(alias: string): WorkspaceAddress | undefined {
  const match = ALIAS.exec(alias.toLowerCase());
  return match ? { hostId: match[1]!, name: match[2]! } : undefined;
}

/**
 * The workspace behind a Remote-SSH authority `ssh-remote+<alias>`. Remote-SSH writes a host that is
 * not a plain name as hex-encoded JSON (`ssh-remote+7b22686f73744e616d65223a…` = `{"hostName":…}`),
 * so that form is read too. Undefined for any other authority.
 */
export function parseAuthority(authority: string): WorkspaceAddress | undefined {
  if (!authority.toLowerCase().startsWith(SSH_REMOTE)) return undefined;
  const host = authority.slice(SSH_REMOTE.length);
  if (/^(?:[0-9a-f]{2})+$/i.test(host) && host.startsWith('7b')) {
    try {
      const parsed = JSON.parse(Buffer.from(host, 'hex').toString('utf8')) as { hostName?: unknown };
      return typeof parsed.hostName === 'string' ? parseAlias(parsed.hostName) : undefined;
    } catch {
      return undefined;
    }
  }
  return parseAlias(host);
}

/**
 * The workspace a window is connected to: only in a Remote-SSH window (`remoteName` `ssh-remote`),
 * from the first workspace folder (or workspace file) whose authority names a Berth workspace.
 */
export function connectedWorkspace(
  remoteName: string | undefined,
  authorities: readonly string[],
): WorkspaceAddress | undefined {
  if (remoteName !== 'ssh-remote') return undefined;
  for (const authority of authorities) {
    const address = parseAuthority(authority);
    if (address) return address;
  }
  return undefined;
}
