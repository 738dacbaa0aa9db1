import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { printWorkspaces, withClient, type Command } from '../command';

const usage = 'berth ls [-o wide] [--json]';

/** `berth ls`: the caller's workspaces (an admin's: everyone's); `-o wide` adds their disk use. */
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
