import { CLIENT_OPTIONS, parse, positionals } from '../args';
import { printWorkspaces, withClient, type Command } from '../command';

const usage = 'berth ls [--json]';

/** `berth ls`: the caller's workspaces (an admin's: everyone's). */
export const ls: Command = {
  name: 'ls',
  summary: 'list workspaces',
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(argv, CLIENT_OPTIONS, usage);
    positionals(rest, [], usage);
    await withClient(values, async (client) => {
      const { workspaces } = await client.request('workspace.list', {});
      printWorkspaces(workspaces, values.json ?? false, client.welcome.user.admin);
    });
    return 0;
  },
};
