import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { withClient, type Command } from '../command';
import { workspaceYaml } from '../definition/render';
import { describeWorkspace } from '../workspace-view';

const usage = 'berth get NAME [--owner USER] [-o json|yaml]';

/** `berth get NAME`: every field of one workspace, for people (or `-o json`, the protocol's object). */
export const get: Command = {
  name: 'get',
  summary: 'show every field of one workspace (its full message too)',
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(
      argv,
      { ...CLIENT_OPTIONS, owner: { type: 'string' }, output: { type: 'string', short: 'o' } },
      usage,
    );
    const [name = ''] = positionals(rest, ['NAME'], usage);
    if (values.output !== undefined && values.output !== 'json' && values.output !== 'yaml') {
      throw new UsageError(`-o ${values.output}: the output formats are json and yaml`, usage);
    }
    await withClient(values, async (client) => {
      const { workspace } = await client.request(
        'workspace.get',
        values.owner ? { name, owner: values.owner } : { name },
      );
      if (values.output === 'yaml') return void process.stdout.write(workspaceYaml(workspace));
      if (values.output === 'json' || values.json) {
        return void process.stdout.write(`${JSON.stringify(workspace, null, 2)}\n`);
      }
      process.stdout.write(`${describeWorkspace(workspace)}\n`);
    });
    return 0;
  },
};
