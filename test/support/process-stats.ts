import { promises as fs } from 'node:fs';
import type { AgentProcess } from './agent-process';

/** The pid of `agent`'s `berth serve`, found by its state directory among the host's processes. */
export async function agentPid(agent: AgentProcess): Promise<number> {
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const args = (await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (args.includes('serve') && args.includes(agent.stateDir)) return Number(entry);
  }
  throw new Error(`no berth serve process runs on ${agent.stateDir}`);
}

/** How many file descriptors process `pid` holds open now. */
export async function openDescriptors(pid: number): Promise<number> {
  return (await fs.readdir(`/proc/${pid}/fd`)).length;
}

/** The resident memory of process `pid`, in bytes (VmRSS). */
export async function residentBytes(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kib) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kib) * 1024;
}

/** Bytes as MiB with one decimal, for the figures tests print. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
