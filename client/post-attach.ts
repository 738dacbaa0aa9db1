import type { Writable } from 'node:stream';
import type { SingleCommand, Workspace } from '../protocol';
import type { AgentClient } from './agent-client';
import { execInWorkspace } from './exec';

/** A command as `workspace.exec` takes it: a string through the image's shell, an array as it is. */
const argv = (command: SingleCommand): string[] => (typeof command === 'string' ? ['/bin/sh', '-c', command] : command);

/** One failed postAttachCommand: its label (`postAttachCommand` or `postAttachCommand NAME`) and why, in words. */
export interface PostAttachFailure {
  label: string;
  why: string;
}

/**
 * Runs the workspace's devcontainer.json `postAttachCommand` (its named commands in parallel) as a
 * client attaches (`berth ssh`, VS Code's Connect), as the workspace's user through the agent, its
 * output and errors on `output`; aborting `signal` kills them (each then fails). Resolves with the failures (none when it has no such command):
 * a failure is for the caller to show, and never keeps the user out.
 */
export async function runPostAttach(
  client: AgentClient,
  workspace: Workspace,
  output: Writable,
  signal?: AbortSignal,
): Promise<PostAttachFailure[]> {
  const command = workspace.spec.lifecycle?.postAttachCommand;
  if (command === undefined) return [];
  const named: [string, SingleCommand][] =
    typeof command === 'string' || Array.isArray(command)
      ? [['postAttachCommand', command]]
      : Object.entries(command).map(([label, each]) => [`postAttachCommand ${label}`, each]);
  const ref = { name: workspace.name, owner: workspace.owner };
  const results = await Promise.all(
    named.map(async ([label, single]): Promise<PostAttachFailure | null> => {
      const code = await execInWorkspace(client, ref, argv(single), {
        stdout: output,
        stderr: output,
        stdin: null,
        signal,
      }).catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
      if (code === 0) return null;
      return { label, why: typeof code === 'number' ? `exit code ${code}` : code };
    }),
  );
  return results.filter((result): result is PostAttachFailure => result !== null);
}
