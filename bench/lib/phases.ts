import type { AgentClient } from '../../client/agent-client';
import { fmtMs, summarize, table } from './stats';

/** One timed request, split at the `workspace.progress` events the agent sent for it. */
export interface PhasedTiming {
  totalMs: number;
  /** Consecutive intervals in order: request → first event, each phase until the next, `done` → reply. */
  intervals: [label: string, ms: number][];
}

/**
 * What the agent does in each interval (read from agent/workspaces/service.ts), so that a slow one
 * points at code. An interval is named after the event that opened it.
 */
const WHAT: Record<string, string> = {
  'request→allocating': 'image inspect; port allocation (bind test)',
  allocating: 'host key generation; bootstrap dir (2 fsynced writes); store save (fsync)',
  'creating-volume': 'docker volume create; container inspect; users.json read; bootstrap refresh (3 fsynced writes)',
  'pulling-image': 'docker pull of an image the host lacks (a registry on --allow-pull)',
  'installing-sshd': 'docker build of the sshd layer (first use of an image without sshd)',
  'creating-container': 'docker create',
  'starting-container': 'docker start',
  'waiting-for-ssh': 'sshBanner probe every 25 ms (+ docker inspect every 300 ms) until the banner',
  'request→starting-container':
    'state "starting" saved (fsync); container inspect; users.json read; bootstrap refresh (3 fsynced writes)',
  'done→reply': 'state "running" saved (fsync); reply frame',
};

/**
 * Runs `request` and times it from the client, marking the arrival of each progress event the agent
 * sends about workspace `name`. Event and reply frames travel the same socket, so the marks are in order.
 */
export async function phased(
  client: AgentClient,
  name: string,
  request: () => Promise<unknown>,
): Promise<PhasedTiming> {
  const marks: [string, number][] = [];
  const unsubscribe = client.onEvent((event) => {
    if (event.event === 'workspace.progress' && event.data.name === name) {
      marks.push([event.data.phase, performance.now()]);
    }
  });
  const t0 = performance.now();
  try {
    await request();
  } finally {
    unsubscribe();
  }
  const t1 = performance.now();
  const points: [string, number][] = [['request', t0], ...marks, ['reply', t1]];
  const intervals: [string, number][] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const [from, start] = points[i]!;
    const [to, end] = points[i + 1]!;
    const label = from === 'request' || to === 'reply' ? `${from}→${to}` : from;
    intervals.push([label, end - start]);
  }
  return { totalMs: t1 - t0, intervals };
}

/** A table of each interval's median (and min–max) over the tries, with what the agent does in it. */
export function phaseTable(timings: readonly PhasedTiming[]): string {
  const samples = new Map<string, number[]>();
  for (const timing of timings) {
    for (const [label, ms] of timing.intervals) samples.set(label, [...(samples.get(label) ?? []), ms]);
  }
  const total = summarize(timings.map((t) => t.totalMs)).median;
  const rows = [...samples].map(([label, values]) => {
    const s = summarize(values);
    const share = `${((100 * s.median) / total).toFixed(0)}%`;
    return [`  ${label}`, fmtMs(s.median), `${fmtMs(s.min)}–${fmtMs(s.max)}`, share, WHAT[label] ?? ''];
  });
  return table([['  interval', 'median', 'min–max', 'share', 'what the agent does'], ...rows]);
}
