import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { PresenceSource } from '../../protocol';

/**
 * Typing, seen from the host: every interactive session in a workspace (an `ssh -t` login, a VS Code
 * integrated terminal, a tmux pane, a `docker exec -it`) reads its input from a pseudo-terminal, and
 * the kernel moves a terminal's access time when a read returns input (`tty_read` → `tty_update_time`,
 * the clock `w` and `who` show as IDLE). Output moves only the modification time, so a `tail -f` or a
 * progress bar is not typing. The kernel keeps both times to 8 s (it updates them only when they
 * differ beyond the lowest three bits of the seconds), which is finer than any sampling interval.
 *
 * The ptys live in the container's own devpts mount, reached from the host as
 * /proc/<pid>/root/dev/pts (the agent runs as root): one readdir and one stat per open pty, nothing
 * sent into the container. A pty counts as typed in when its access time moved since the previous
 * sample; a pty seen for the first time only sets the baseline, so opening a session is not typing
 * (a pty closed and reopened under the same number between two samples counts once: someone just
 * opened a session). Only when something was typed are the container's
 * processes walked to say whose terminal it was.
 */

/** A pty as one sample saw it: its access time (ms). */
interface Pty {
  atimeMs: number;
}

/** Unix98 pty slaves have majors 136–143 (`UNIX98_PTY_SLAVE_MAJOR` and the 7 after it). */
const PTY_MAJOR_FIRST = 136;
const PTY_MAJOR_LAST = 143;

/**
 * The most ptys read of one workspace per sample. Root in the container (its user has sudo) can put
 * anything at /dev/pts: a directory of a million files costs the agent no more than this many.
 */
export const MAX_PTYS = 1024;

/** The open ptys of the container whose main process is `pid`, by number; null when unreadable. */
export async function readPtys(pid: number, procRoot = '/proc'): Promise<Map<string, Pty> | null> {
  const dir = path.join(procRoot, String(pid), 'root', 'dev', 'pts');
  const handle = await fs.opendir(dir).catch(() => null);
  if (handle === null) return null;
  const names: string[] = [];
  try {
    for await (const entry of handle) {
      if (/^\d+$/.test(entry.name)) names.push(entry.name);
      if (names.length >= MAX_PTYS) break;
    }
  } catch {
    return null;
  }
  const ptys = new Map<string, Pty>();
  await Promise.all(
    names.map(async (name) => {
      const stat = await fs.stat(path.join(dir, name)).catch(() => null);
      if (stat) ptys.set(name, { atimeMs: stat.atimeMs });
    }),
  );
  return ptys;
}

/** The pty numbers whose access time moved between `before` and `now`. */
export function typedPtys(before: Map<string, Pty> | null, now: Map<string, Pty>): string[] {
  if (!before) return [];
  return [...now].flatMap(([name, pty]) => {
    const was = before.get(name);
    return was && pty.atimeMs > was.atimeMs ? [name] : [];
  });
}

/** The fields of /proc/<pid>/stat that matter here: the name, the parent and the controlling tty. */
export interface ProcStat {
  comm: string;
  ppid: number;
  /** The pty number when the controlling terminal is a Unix98 pty slave, else null. */
  pty: string | null;
}

/** Parses /proc/<pid>/stat (the name is in parentheses and may itself hold spaces and parentheses). */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const fields = text.slice(close + 2).split(' ');
  const ppid = Number(fields[1]);
  const ttyNr = Number(fields[4]);
  if (!Number.isInteger(ppid) || !Number.isInteger(ttyNr)) return null;
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  const pty = ttyNr !== 0 && major >= PTY_MAJOR_FIRST && major <= PTY_MAJOR_LAST ? String(minor) : null;
  return { comm: text.slice(open + 1, close), ppid, pty };
}

/**
 * Whose terminal a pty is, from the parents of the processes that have it as controlling terminal:
 * a child of an sshd session is an SSH login; a child of node (the VS Code server's pty host) is a
 * VS Code integrated terminal; anything else (a tmux pane, `docker exec -it`) is a terminal.
 */
export function sourceOf(procs: Map<number, ProcStat>, pty: string): PresenceSource {
  let best: PresenceSource = 'terminal';
  for (const proc of procs.values()) {
    if (proc.pty !== pty) continue;
    const parent = procs.get(proc.ppid)?.comm ?? '';
    if (parent.startsWith('sshd')) return 'ssh terminal';
    if (/node|code/.test(parent)) best = 'vscode terminal';
  }
  return best;
}

/** The processes of the container whose main process is `pid`: it and its descendants (orphans are re-parented to it). */
export async function containerProcs(pid: number, procRoot = '/proc'): Promise<Map<number, ProcStat>> {
  const procs = new Map<number, ProcStat>();
  const queue = [pid];
  while (queue.length && procs.size < 10_000) {
    const next = queue.shift() as number;
    if (procs.has(next)) continue;
    const stat = await fs.readFile(path.join(procRoot, String(next), 'stat'), 'utf8').catch(() => null);
    const parsed = stat === null ? null : parseStat(stat);
    if (!parsed) continue;
    procs.set(next, parsed);
    const children = await fs
      .readFile(path.join(procRoot, String(next), 'task', String(next), 'children'), 'utf8')
      .catch(() => '');
    for (const child of children.split(/\s+/).filter(Boolean)) queue.push(Number(child));
  }
  return procs;
}

/** Which source names the presence when several terminals were typed in at once. */
const PRIORITY: PresenceSource[] = ['ssh terminal', 'vscode terminal', 'terminal'];

/** The strongest source among the typed ptys. */
export function strongestSource(sources: PresenceSource[]): PresenceSource | null {
  return PRIORITY.find((source) => sources.includes(source)) ?? null;
}

/** Remembers each workspace's ptys between samples and says whether, and where, someone typed. */
export class TypingSignal {
  private readonly previous = new Map<string, { pid: number; ptys: Map<string, Pty> }>();

  constructor(private readonly procRoot = '/proc') {}

  /**
   * The source of the input read since the previous sample of workspace `id` (main process `pid`),
   * or null when nobody typed (or its ptys cannot be read).
   */
  async sample(id: string, pid: number): Promise<PresenceSource | null> {
    const ptys = await readPtys(pid, this.procRoot);
    const before = this.previous.get(id);
    if (!ptys) {
      this.previous.delete(id);
      return null;
    }
    this.previous.set(id, { pid, ptys });
    const typed = typedPtys(before?.pid === pid ? before.ptys : null, ptys);
    if (!typed.length) return null;
    const procs = await containerProcs(pid, this.procRoot);
    return strongestSource(typed.map((pty) => sourceOf(procs, pty)));
  }

  forget(id: string): void {
    this.previous.delete(id);
  }
}
