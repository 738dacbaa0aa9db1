import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { withClient, type Command } from '../command';
import { printWorkspaces } from '../workspace-view';

const usage = 'berth ls [-o wide] [--json]   (one workspace in full: berth get NAME)';

/**
 * `berth ls`: the caller's workspaces (an admin's: everyone's) in 100 columns; `-o wide` adds the
 * rest (SSH, image, times, disk use, the full message); `berth get NAME` shows one in full.
 */
export const ls: Command = {
  name: 'ls',
  summary: 'list workspaces',
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(
      argv,
      { ...CLIENT_OPTIONS, output: { type: 'string', short: 'o' } },
      usage,
    );
    positionals(rest, [], usage);
    if (values.output !== undefined && values.output !== 'wide') {
      throw new UsageError(`-o ${values.output}: the only output format is wide (or --json)`, usage);
    }
    await withClient(values, async (client) => {
      const { workspaces } = await client.request('workspace.list', {});
      printWorkspaces(workspaces, values.json ?? false, client.welcome.user.admin, values.output === 'wide');
    });
    return 0;
  },
};
