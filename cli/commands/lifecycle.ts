import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { printWorkspace, withClient, withProgress, type Command } from '../command';
import { waitFlag } from './create';

function lifecycle(method: 'workspace.start' | 'workspace.stop', name: string, summary: string): Command {
  const usage = `berth ${name} NAME${method === 'workspace.start' ? ' [--wait-gpus DURATION]' : ''} [--json]`;
  return {
    name,
    summary,
    usage,
    async run(argv) {
      const { values, positionals: rest } = parse(
        argv,
        { ...CLIENT_OPTIONS, quiet: { type: 'boolean', short: 'q' }, 'wait-gpus': { type: 'string' } },
        usage,
      );
      const [workspaceName = ''] = positionals(rest, ['NAME'], usage);
      if (method === 'workspace.stop' && values['wait-gpus'] !== undefined) {
        throw new UsageError('--wait-gpus is for start and create', usage);
      }
      const waitForGpus = waitFlag(values['wait-gpus'], usage);
      await withClient(values, async (client) => {
        const { workspace } = await withProgress(values.quiet ?? values.json ?? false, (options) =>
          method === 'workspace.start'
            ? client.request(method, { name: workspaceName, waitForGpus }, options)
            : client.request(method, { name: workspaceName }, options),
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
