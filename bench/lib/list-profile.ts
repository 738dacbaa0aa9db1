import { METHODS, ServerFrame } from '../../protocol';
import { toWorkspace, type WorkspaceRecord } from '../../agent/state/record';
import { fmtMs, summarize, table } from './stats';

const REPEAT = 200;

/** Median milliseconds of `fn` over {@link REPEAT} calls, after a few untimed ones. */
function median(fn: () => unknown): number {
  for (let i = 0; i < 20; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return summarize(samples).median;
}

/**
 * Where a workspace.list round trip goes, step by step, timed in this process with the very functions
 * each end runs: the agent's view of every record and the reply's serialization, then AgentClient's
 * JSON.parse, frame check and result validation of the reply as it arrived.
 */
export function listProfile(records: readonly WorkspaceRecord[], reply: string): string {
  const result = METHODS['workspace.list'].result;
  const parsed = JSON.parse(reply) as { result: unknown };
  const rows: [string, number][] = [
    [
      'agent: toWorkspace() of each record (service.list)',
      median(() => records.map((r) => toWorkspace(r, '127.0.0.1'))),
    ],
    [
      'agent: JSON.stringify of the reply frame (session.send)',
      median(() => JSON.stringify({ id: 1, result: { workspaces: records.map((r) => toWorkspace(r, '127.0.0.1')) } })),
    ],
    ['client: JSON.parse of the frame', median(() => JSON.parse(reply))],
    ['client: ServerFrame.safeParse', median(() => ServerFrame.safeParse(parsed))],
    ['client: workspace.list result schema safeParse', median(() => result.safeParse(parsed.result))],
  ];
  return table([
    ['    step (in-process replica, median of 200)', 'ms'],
    ...rows.map(([step, ms]) => [`    ${step}`, fmtMs(ms)]),
  ]);
}
