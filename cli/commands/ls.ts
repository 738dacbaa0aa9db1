import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { withClient, type Command } from '../command';
import { printWorkspaces } from '../workspace-view';

const usage = 'berth ls [-o wide] [--archived] [--json]   (one workspace in full: berth get NAME)';

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
      { ...CLIENT_OPTIONS, output: { type: 'string', short: 'o' }, archived: { type: 'boolean' } },
      usage,
    );
    positionals(rest, [], usage);
    if (values.output !== undefined && values.output !== 'wide') {
      throw new UsageError(`-o ${values.output}: the only output format is wide (or --json)`, usage);
    }
    await withClient(values, async (client) => {
      const { workspaces: all } = await client.request('workspace.list', {});
      // Archive: archived workspaces are listed apart (--archived), and counted under the others.
      const archived = all.filter((ws) => ws.archivedAt !== undefined);
      const listed = values.archived ? archived : all.filter((ws) => ws.archivedAt === undefined);
      if (values.archived && !listed.length && !values.json) {
        return void process.stdout.write('No archived workspaces. Archive one with: berth archive NAME\n');
      }
      printWorkspaces(listed, values.json ?? false, client.welcome.user.admin, values.output === 'wide');
      if (!values.archived && archived.length && !values.json) {
        process.stdout.write(`${archived.length} archived (berth ls --archived)\n`);
      }
    });
    return 0;
  },
};
