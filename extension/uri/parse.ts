import { UserName, WorkspaceName } from '../../protocol';
import type { HostConfig, HostStatus } from '../hosts/host';

/** What a link asks for: a workspace on a host, and its owner where it is not the user's own. */
export interface OpenLink {
  host: string;
  workspace: string;
  owner?: string;
}

/** The form links take, for error messages. */
export const LINK_FORM = 'vscode://berth.berth/open?host=HOST&workspace=NAME';

const KEYS = new Set(['host', 'workspace', 'owner']);
const MAX_HOST = 100;

/** A hostile value as an error message may show it: control characters escaped, cut to 40 characters. */
function shown(value: string): string {
  const json = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return json.replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Parses the path and query of a `vscode://berth.berth/open?host=H&workspace=W[&owner=U]` link.
 * Everything in it is hostile: the workspace and owner must pass the protocol's name schemas, the
 * host is a short name without control characters, and unknown or repeated parameters are refused.
 */
export function parseOpenLink(path: string, query: string): { link: OpenLink } | { error: string } {
  if (path !== '/open' && path !== '/open/') {
    return { error: `Berth links open a workspace (${LINK_FORM}); ${shown(path)} is not one of them.` };
  }
  const params = new URLSearchParams(query);
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (!KEYS.has(key)) {
      return { error: `the link has an unknown parameter ${shown(key)}; it takes host, workspace and owner.` };
    }
    if (seen.has(key)) return { error: `the link gives ${key} more than once.` };
    seen.add(key);
  }
  const host = params.get('host') ?? '';
  const workspace = params.get('workspace') ?? '';
  if (!host || !workspace) return { error: `the link must name a host and a workspace (${LINK_FORM}).` };
  if (host.length > MAX_HOST || /\p{Cc}/u.test(host) || host.trim() !== host) {
    return { error: `the link's host ${shown(host)} is not a host name.` };
  }
  const name = WorkspaceName.safeParse(workspace);
  if (!name.success) {
    return { error: `the link's workspace ${shown(workspace)} ${name.error.issues[0]?.message ?? 'is not valid'}.` };
  }
  const ownerText = params.get('owner');
  if (ownerText === null) return { link: { host, workspace: name.data } };
  const owner = UserName.safeParse(ownerText);
  if (!owner.success) {
    return { error: `the link's owner ${shown(ownerText)} ${owner.error.issues[0]?.message ?? 'is not valid'}.` };
  }
  return { link: { host, workspace: name.data, owner: owner.data } };
}

/**
 * The host a link names, among the user's: by id, else by label (any case), else by the machine's
 * name as its connected agent reports it. Undefined when none matches.
 */
export function findLinkedHost<T extends { host: HostConfig; status: HostStatus }>(
  connections: readonly T[],
  name: string,
): T | undefined {
  const lower = name.toLowerCase();
  return (
    connections.find((c) => c.host.id === name) ??
    connections.find((c) => c.host.label.toLowerCase() === lower) ??
    connections.find((c) => c.status.kind === 'connected' && c.status.welcome.host.toLowerCase() === lower)
  );
}
