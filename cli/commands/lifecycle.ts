import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { printWorkspace, withClient, withProgress, type Command } from '../command';
import { waitFlag } from './create';

/** `--owner USER`: an admin acts on another user's workspace (a queued one, say). */
export const OWNER_OPTION = { owner: { type: 'string' } } as const;

/** The workspace `name` of `owner` (the caller's own when absent). */
export function refOf(name: string, owner: string | undefined): { name: string; owner?: string } {
  return owner === undefined ? { name } : { name, owner };
}

type Method = 'workspace.start' | 'workspace.stop' | 'workspace.restart';

function lifecycle(method: Method, name: string, summary: string): Command {
  const usage = `berth ${name} NAME [--owner USER]${method === 'workspace.stop' ? '' : ' [--wait-gpus DURATION]'} [--json]`;
  return {
    name,
    summary,
    usage,
    async run(argv) {
      const { values, positionals: rest } = parse(
        argv,
        { ...CLIENT_OPTIONS, ...OWNER_OPTION, quiet: { type: 'boolean', short: 'q' }, 'wait-gpus': { type: 'string' } },
        usage,
      );
      const [workspaceName = ''] = positionals(rest, ['NAME'], usage);
      const ref = refOf(workspaceName, values.owner);
      if (method === 'workspace.stop' && values['wait-gpus'] !== undefined) {
        throw new UsageError('--wait-gpus is for start, restart and create', usage);
      }
      const waitForGpus = waitFlag(values['wait-gpus'], usage);
      await withClient(values, async (client) => {
        const { workspace } = await withProgress(values.quiet ?? values.json ?? false, (options) =>
          method === 'workspace.stop'
            ? client.request(method, ref, options)
            : client.request(method, { ...ref, waitForGpus }, options),
        );
        printWorkspace(workspace, values.json ?? false);
      });
      return 0;
    },
  };
}

/** `berth start NAME`: starts a workspace and waits until its sshd answers. */
export const start = lifecycle('workspace.start', 'start', 'start a stopped workspace');
/** `berth stop NAME`: stops a workspace; its home volume and port are kept. */
export const stop = lifecycle('workspace.stop', 'stop', 'stop a workspace (its data is kept)');
/** `berth restart NAME`: stops and starts a workspace as one operation (its GPUs stay its own). */
export const restart = lifecycle('workspace.restart', 'restart', 'stop and start a workspace again (its data is kept)');
