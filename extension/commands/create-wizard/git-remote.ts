// The open folder's git remote, as the create wizard offers it for clone on create; free of `vscode`.
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CloneBranch, CloneUrl, cloneFolder } from '../../../protocol';

/** What the wizard offers to clone: the remote's URL as the workspace gets it, and the current branch. */
export interface FolderRemote {
  url: string;
  /** The branch checked out in the folder; absent on a detached HEAD. */
  branch?: string;
  /** Whether a clone from `url` may need credentials (HTTPS, SSH), so a secret is offered. */
  credentials: boolean;
}

/** The most of a `.git/config` or `HEAD` read: a bigger one is no repository the wizard cares for. */
const MAX_BYTES = 256 * 1024;

/**
 * The URLs of each remote in a git config's text, by remote name, in the order they appear. Only the
 * `[remote "NAME"]` sections' `url` keys are read; nothing of the config is run or followed.
 */
export function remotesOf(config: string): Map<string, string> {
  const remotes = new Map<string, string>();
  let current: string | null = null;
  for (const raw of config.split(/\r?\n/)) {
    const line = raw.trim();
    const section = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]/.exec(line);
    if (section) {
      current = section[1]?.toLowerCase() === 'remote' && section[2] !== undefined ? section[2] : null;
      continue;
    }
    const entry = /^url\s*=\s*(.*)$/i.exec(line);
    if (current === null || !entry || remotes.has(current)) continue;
    let value = (entry[1] ?? '').replace(/\s+[#;].*$/, '').trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (value) remotes.set(current, value);
  }
  return remotes;
}

/** The branch a `HEAD` file names (`ref: refs/heads/NAME`); undefined on a detached HEAD. */
export function branchOf(head: string): string | undefined {
  return /^ref:\s*refs\/heads\/(\S+)\s*$/.exec(head.trim())?.[1];
}

/**
 * A remote URL as a workspace can clone it, or null when it cannot be one. The clone runs inside the
 * workspace on the host, so a local path or `file://` URL (a path on this machine) is none. A URL
 * loses its password and an HTTP(S) one its user too (a password in a remote URL must not land in the
 * workspace's spec; the clone gets credentials from a secret); anything else must be a URL
 * `workspace.create` takes (no `ext::`, no options).
 */
export function cloneUrlOf(remote: string): string | null {
  let url = remote.trim();
  if (path.isAbsolute(url) || url.startsWith('.') || /^file:/i.test(url)) return null;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    const stripped = withoutCredentials(url);
    if (stripped === null) return null;
    url = stripped;
  }
  return CloneUrl.safeParse(url).success ? url : null;
}

/**
 * A scheme URL without its password (any scheme) and, for HTTP(S), its user too: parsed as a URL,
 * so a password holding `@` or `:` goes whole. Unchanged when it holds neither; null when unparsable.
 */
function withoutCredentials(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const web = /^https?:$/i.test(parsed.protocol);
  if (!parsed.password && !(web && parsed.username)) return url;
  parsed.password = '';
  if (web) parsed.username = '';
  return parsed.toString();
}

/** Whether a clone from `url` may ask for credentials: HTTPS and SSH may; `file://` and `git://` do not. */
export function mayNeedCredentials(url: string): boolean {
  return !/^(file|git):\/\//i.test(url);
}

/** The remote to offer among `remotes`: `origin`, else the first one. */
export function pickRemote(remotes: Map<string, string>): string | undefined {
  return remotes.get('origin') ?? [...remotes.values()][0];
}

/** A remote and branch (from wherever they were read) as the wizard offers them; null when not clonable. */
export function folderRemote(remote: string | undefined, branch: string | undefined): FolderRemote | null {
  const url = remote === undefined ? null : cloneUrlOf(remote);
  if (!url) return null;
  // A branch name git allows but a clone's spec refuses is left out: the remote's default is cloned.
  const known = branch !== undefined && CloneBranch.safeParse(branch).success;
  return { url, ...(known ? { branch } : {}), credentials: mayNeedCredentials(url) };
}

/** How long the wizard waits for the folder's remote before it offers none (a slow or odd disk). */
export const FOLDER_REMOTE_WITHIN_MS = 2_000;

/** `work`'s value, or null when it takes longer than `ms` (it is left to finish unheard). */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A regular file's text, or null for anything else: opened non-blocking and checked with `fstat`
 * before any read, so a FIFO (or device) put where git keeps `config` or `HEAD` never blocks.
 */
async function readSmall(file: string): Promise<string | null> {
  try {
    const handle = await fs.open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    try {
      if (!(await handle.stat()).isFile()) return null;
      const buffer = Buffer.alloc(MAX_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, MAX_BYTES, 0);
      return bytesRead === MAX_BYTES ? null : buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

/**
 * The remote of the git repository at `folder` (its own `.git`, a directory, or a `gitdir:` file as
 * worktrees and submodules have), read from its files without running git; null when there is none.
 */
export async function readFolderRemote(folder: string): Promise<FolderRemote | null> {
  const dotGit = path.join(folder, '.git');
  let gitDir = dotGit;
  const stat = await fs.stat(dotGit).catch(() => null);
  if (!stat) return null;
  if (stat.isFile()) {
    const pointer = /^gitdir:\s*(.+?)\s*$/m.exec((await readSmall(dotGit)) ?? '')?.[1];
    if (!pointer) return null;
    gitDir = path.resolve(folder, pointer);
  }
  // A linked worktree keeps its HEAD, and its config in the common directory.
  const common = (await readSmall(path.join(gitDir, 'commondir')))?.trim();
  const configDir = common ? path.resolve(gitDir, common) : gitDir;
  const config = await readSmall(path.join(configDir, 'config'));
  if (config === null) return null;
  const head = await readSmall(path.join(gitDir, 'HEAD'));
  return folderRemote(pickRemote(remotesOf(config)), head === null ? undefined : branchOf(head));
}

/** `~/app` for a clone of `url`: where the workspace gets it. */
export function cloneTarget(url: string): string {
  return `~/${cloneFolder({ url })}`;
}
