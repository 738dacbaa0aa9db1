import type { Writable } from 'node:stream';
import { BerthError, type EventData, type Result, type Workspace } from '../../protocol';
import type { AgentClient } from '../agent-client';
import { pipeBackup } from './pipe';
import { targetRefusal, viewTarget } from './target-checks';
import { targetAdmission } from './admission';

/** The two ends of a move: each agent's client, its address and its name as the user knows it. */
export interface MoveEnds {
  source: AgentClient;
  target: AgentClient;
  /** The source's name for the user; null when it has none (the CLI's default agent). */
  sourceHost: string | null;
  targetHost: string;
  /** The agents' addresses: one host cannot be both ends. */
  sourceUrl: string;
  targetUrl: string;
}

/**
 * Step 1 of a move: the workspace as the source has it, once the target was asked (host.info,
 * host.images, workspace.list) and takes it: the same owner there, the name free, a port, CPUs,
 * memory, GPUs, the image, the quota ({@link targetRefusal}), and then by the target's own rules
 * ({@link targetAdmission}: GPUs free now, its secrets). A refusal changes nothing anywhere.
 */
export async function checkMove(ends: MoveEnds, ref: { name: string; owner?: string }): Promise<Workspace> {
  if (ends.sourceUrl === ends.targetUrl) {
    throw new BerthError('invalid_params', `"${ref.name}" is already on host "${ends.targetHost}"`);
  }
  const { workspace } = await ends.source.request('workspace.get', ref);
  const refusal =
    targetRefusal(workspace, workspace.owner, await viewTarget(ends.target, ends.targetHost)) ??
    (await targetAdmission(ends.target, ends.targetHost, workspace));
  if (refusal) throw new BerthError('conflict', `cannot move "${ref.name}": ${refusal}; nothing was changed`);
  return workspace;
}

/** How {@link moveWorkspace} reports and is cancelled. */
export interface MoveOptions {
  /** Aborting stops the move: the target removes what it made, the source is started again if it ran. */
  signal: AbortSignal;
  /** A line on what the move does now ("web: stopping it on a for the move"). */
  say: (line: string) => void;
  /** The agents' progress events of the move's requests. */
  onProgress: (progress: EventData<'workspace.progress'>) => void;
  /** Called with each chunk's size as it passes from the source to the target. */
  onBytes: (n: number) => void;
  /** Where the agents' own output goes. */
  output: Writable;
}

/** What a move ends with: the workspace on the target, and the source's delete. */
export interface Moved {
  workspace: Workspace;
  deleted: Result<'workspace.delete'>;
}

/**
 * Steps 2–4 of a move of `ws` (checked by {@link checkMove}), the same for `berth move` and the
 * extension's Move to Host…:
 * 2. the source is stopped (`workspace.stop`), so the copy is consistent and nothing changes after it;
 * 3. its backup streams into a restore on the target ({@link pipeBackup}); the target checks every
 *    sha256, records the workspace only once its home is in place, and starts it; the host key
 *    travels, so known_hosts lines still hold (checked: a different key keeps the source);
 * 4. only then is the source deleted with its data (into its host's trash when it keeps one), with
 *    "moved to host …" as the reason, unless it was started again there meanwhile.
 * Cancelled or failed before 4, the target keeps nothing and the source keeps the workspace whole,
 * started again if it ran; the error (`cancelled` for a cancel) is thrown.
 */
export async function moveWorkspace(ends: MoveEnds, ws: Workspace, options: MoveOptions): Promise<Moved> {
  const { source, target } = ends;
  const ref = { name: ws.name, owner: ws.owner };
  const from = ends.sourceHost ?? 'the source';
  const wasRunning = ws.state !== 'stopped';
  if (wasRunning) {
    options.say(`${ws.name}: stopping it on ${from} for the move`);
    await source.request('workspace.stop', ref, { onProgress: options.onProgress });
  }
  try {
    if (options.signal.aborted) throw new BerthError('cancelled', 'the move was cancelled');
    const moved = await pipeBackup(source, target, ref, options);
    if (moved.ssh.hostKey !== ws.ssh.hostKey) {
      throw new BerthError(
        'runtime_error',
        `the host key of "${ws.name}" on "${ends.targetHost}" differs; the source was kept`,
      );
    }
  } catch (err) {
    if (wasRunning) {
      options.say(`${ws.name}: starting it again on ${from}; it was not moved`);
      await source.request('workspace.start', ref).catch(() => undefined);
    }
    throw err;
  }

  // Started on the source meanwhile: what changed since the copy would be lost; keep both.
  const { workspace: now } = await source.request('workspace.get', ref);
  if (now.state !== 'stopped') {
    throw new BerthError(
      'conflict',
      `"${ws.name}" now runs on "${ends.targetHost}", but it was started again on ${from} during the move, so it was not deleted there; compare the two and delete one (berth rm ${ws.name})`,
    );
  }
  const deleted = await source.request('workspace.delete', {
    ...ref,
    deleteData: true,
    reason: `moved to host ${ends.targetHost}`.slice(0, 200),
  });
  const { workspace } = await target.request('workspace.get', { name: ws.name });
  return { workspace, deleted };
}
