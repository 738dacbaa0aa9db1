import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { errorMessage } from '../../util/log';

/** Who holds a state directory: a process, told apart from a later one with the same pid by its start time. */
interface Holder {
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/PID/stat), null where there is no /proc. */
  started: string | null;
}

/** A guard or half-written lock older than this was left by a crash. */
const STALE_MS = 5_000;

/** The start time of process `pid` (field 22 of /proc/PID/stat), or null when it cannot be read. */
async function startTime(pid: number): Promise<string | null> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  // The command name (field 2) may hold spaces and parentheses; the fields after it do not.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields?.[19] ?? null;
}

/** The command line of process `pid`, for the message that names it. */
async function commandOf(pid: number): Promise<string> {
  const text = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  const command = text.split('\0').filter(Boolean).join(' ');
  return command.length > 200 ? `${command.slice(0, 200)}…` : command;
}

async function readHolder(file: string): Promise<Holder | null> {
  try {
    const holder = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<Holder>;
    return typeof holder.pid === 'number' ? { pid: holder.pid, started: holder.started ?? null } : null;
  } catch {
    return null;
  }
}

/** Whether the holder still runs: its pid is alive and (where known) started when the lock says. */
async function holderRuns(holder: Holder): Promise<boolean> {
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (holder.started === null) return true;
  const started = await startTime(holder.pid);
  return started === null || started === holder.started;
}

/** Whether the lock at `file` belongs to nobody: a holder that is gone, or garbage left long ago. */
async function isStale(file: string): Promise<boolean> {
  const holder = await readHolder(file);
  if (holder) return !(await holderRuns(holder));
  // Being written right now, or garbage: stale only when old.
  const stat = await fs.stat(file).catch(() => null);
  return stat !== null && Date.now() - stat.mtimeMs > STALE_MS;
}

/**
 * Removes the stale lock at `file`, one process at a time (two agents that both found it stale must
 * not remove it one after the other, the second removing the lock the first just took). Whether it did.
 */
async function takeOver(file: string): Promise<boolean> {
  const guard = `${file}.takeover`;
  try {
    await (await fs.open(guard, 'wx', 0o600)).close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const stat = await fs.stat(guard).catch(() => null);
    if (stat && Date.now() - stat.mtimeMs > STALE_MS) await fs.rm(guard, { force: true });
    return false;
  }
  try {
    if (!(await isStale(file))) return false;
    await fs.rm(file, { force: true });
    return true;
  } finally {
    await fs.rm(guard, { force: true });
  }
}

/** The agent's hold on its state directory; `release` gives it up (at the agent's stop). */
export interface StateLock {
  release(): Promise<void>;
}

/**
 * Takes the state directory for this process for as long as it runs: two agents on one directory
 * would overwrite each other's records. The lock file names its holder (pid and start time); one
 * whose holder is gone (killed, crashed, or its pid reused by another process) is taken over. A lock
 * held by a running process is an error naming it.
 */
export async function lockStateDir(stateDir: string): Promise<StateLock> {
  const file = path.join(stateDir, 'agent.lock');
  const me: Holder = { pid: process.pid, started: await startTime(process.pid) };
  const deadline = Date.now() + 2 * STALE_MS;
  for (;;) {
    try {
      const handle = await fs.open(file, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(me)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return {
        release: async () => {
          const holder = await readHolder(file);
          if (holder?.pid === me.pid && holder.started === me.started) await fs.rm(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new Error(`cannot create the lock ${file}: ${errorMessage(err)}`, { cause: err });
      }
    }
    const holder = await readHolder(file);
    if (holder && (await holderRuns(holder))) {
      const command = await commandOf(holder.pid);
      throw new Error(
        `another Berth agent (pid ${holder.pid}${command ? `: ${command}` : ''}) is using the state directory ${stateDir}; two agents on one directory overwrite each other's records. Stop that one first, or start this one with another --state-dir`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(`${file} is held and could not be taken over; if no Berth agent runs on ${stateDir}, remove it`);
    }
    if (!(await takeOver(file))) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
