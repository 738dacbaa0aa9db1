import { BerthError, type EventData, type Workspace } from '../protocol';
import { AgentClient, type RequestOptions } from '../client/agent-client';
import { connectOverSsh } from './remote';
import type { TargetFlags } from './hosts';
import { clientSettings, type ClientSettings } from './settings';

/** A `berth` subcommand. `run` returns the process exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

/**
 * Connects where the flags, the environment and the config file say ({@link clientSettings}), runs
 * `fn` with the client and those settings, and always closes the connection.
 */
export async function withClient<T>(
  flags: TargetFlags,
  fn: (client: AgentClient, settings: ClientSettings) => Promise<T>,
): Promise<T> {
  const settings = await clientSettings(flags);
  if (!settings.token) {
    const host = settings.host ? ` (host "${settings.host}" has none)` : '';
    throw new BerthError(
      'unauthorized',
      `no token${host}; set BERTH_TOKEN, pipe it in with --token -, or save a host with it: BERTH_TOKEN=… berth host add URL (make one on the host with: berth token create --user NAME)`,
    );
  }
  const client = settings.ssh
    ? await connectOverSsh(settings.ssh, settings.token)
    : await AgentClient.connect(settings.url, settings.token);
  try {
    return await fn(client, settings);
  } finally {
    client.close();
  }
}

/**
 * Runs a long request: its own progress (not other workspaces' operations) goes to stderr, e.g.
 * `  web: waiting for sshd` (unless `quiet`), and Ctrl-C cancels it on the agent (which rolls back or
 * stops cleanly) instead of abandoning it. `fn` passes the options on to its request.
 */
export async function withProgress<T>(
  quiet: boolean,
  fn: (options: Required<Pick<RequestOptions, 'signal' | 'onProgress'>>) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => {
    process.stderr.write('cancelling…\n');
    controller.abort();
  };
  const onProgress = (progress: EventData<'workspace.progress'>) => {
    if (!quiet && progress.phase !== 'done') process.stderr.write(`  ${progress.name}: ${progress.message}\n`);
  };
  process.once('SIGINT', onSigint);
  try {
    return await fn({ signal: controller.signal, onProgress });
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * How to enter a workspace, as a command that works as printed: `berth ssh web` (with `--host` when
 * one was given), which brings the port, the key and the pinned host key along.
 */
export function enterCommand(name: string, flags: TargetFlags = {}): string {
  return `berth ssh ${name}${flags.host ? ` --host ${flags.host}` : ''}`;
}

/** Prints one workspace after an action: JSON, or a line saying where it stands and how to enter it. */
export function printWorkspace(workspace: Workspace, json: boolean, flags: TargetFlags = {}): void {
  if (json) return void process.stdout.write(`${JSON.stringify(workspace, null, 2)}\n`);
  const where = workspace.state === 'running' ? ` · enter it with: ${enterCommand(workspace.name, flags)}` : '';
  process.stdout.write(
    `${workspace.name}: ${workspace.state}${workspace.message ? ` (${workspace.message})` : ''}${where}\n`,
  );
}
