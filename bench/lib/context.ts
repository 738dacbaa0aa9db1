import * as path from 'node:path';
import { freePort } from '../../test/support/agent-process';
import { BenchAgent } from './agent';
import type { Cleanup } from './cleanup';
import { sweep, type Footprint } from './docker';
import type { RawSpec, RawWorkspace } from './raw';

/** One line of the final table. */
export interface Row {
  figure: string;
  berth: string;
  baseline: string;
  ratio: string;
  target: string;
  /** null when the figure could not be measured. */
  pass: boolean | null;
}

/** What every section gets: the run's settings, names, and its cleanup. */
export interface BenchContext {
  runs: number;
  /** The same image on both sides. */
  spec: RawSpec;
  /** Temporary root: agents' state dirs and the raw workspaces' directories live under it. */
  root: string;
  /** Fragment in every raw container and volume name, for the final sweep. */
  sweepName: string;
  /** The agents' user; Berth labels its containers and volumes `dev.berth.owner=<user>`. */
  user: string;
  /** Public key line given to the agent's user (user.addKey) and written into raw authorized_keys. */
  userKey: string;
  /** Text of agent/image/berth-init. */
  init: string;
  cleanup: Cleanup;
  /** Every agent started, so that their warnings can be shown at the end. */
  agents: BenchAgent[];
}

/**
 * Runs `fn` with a fresh agent on `<root>/<label>` and an SSH port range, then stops the agent and
 * removes whatever its workspaces left in Docker, whether `fn` succeeded or not. With `addKey` (the
 * default) the bench user's key is added first, so that authorized_keys holds what a real user's would.
 */
export async function withAgent<T>(
  ctx: BenchContext,
  label: string,
  ports: { first: number; last: number },
  options: { addKey?: boolean; v8Probe?: boolean },
  fn: (agent: BenchAgent, startMs: number) => Promise<T>,
): Promise<T> {
  const { addKey = true, v8Probe = false } = options;
  let agent: BenchAgent | undefined;
  try {
    const stateDir = path.join(ctx.root, label);
    const started = await BenchAgent.start({ stateDir, ports, user: ctx.user, v8Probe }, ctx.cleanup);
    agent = started.agent;
    ctx.agents.push(agent);
    if (addKey) await agent.request('user.addKey', { key: ctx.userKey });
    return await fn(agent, started.startMs);
  } finally {
    await agent?.stop();
    await sweep(footprint(ctx));
  }
}

/** A raw workspace's names, directory, labels (as many as the agent sets) and a free loopback port. */
export async function rawWorkspace(ctx: BenchContext, label: string): Promise<RawWorkspace> {
  const name = `${ctx.sweepName}-${label}`;
  return {
    name,
    hostname: label,
    port: await freePort(),
    dir: path.join(ctx.root, 'raw', label),
    volume: `${name}-home`,
    labels: {
      'dev.berth-bench.agent': ctx.sweepName,
      'dev.berth-bench.workspace': label,
      'dev.berth-bench.owner': ctx.user,
      'dev.berth-bench.name': label,
      'dev.berth-bench.spec-hash': 'raw',
    },
  };
}

/** Everything this run may have made in Docker: Berth's objects of the bench user, and the raw ones. */
export function footprint(ctx: BenchContext): Footprint {
  return { label: `dev.berth.owner=${ctx.user}`, names: ctx.sweepName };
}

/** `x.xx×` of two medians. */
export function ratio(berth: number, baseline: number): string {
  return `${(berth / baseline).toFixed(2)}×`;
}
