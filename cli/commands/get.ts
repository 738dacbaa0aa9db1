import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { withClient, type Command } from '../command';
import { workspaceYaml } from '../definition/render';
import { describeWorkspace } from '../workspace-view';

const usage = 'berth get NAME [--owner USER] [-o json|yaml]';

/**
 * `berth get NAME`: every field of one workspace and its recent lifecycle history, for people (or
 * `-o json` / `-o yaml`, the protocol's object: the same data, which parse to the same value).
 */
export const get: Command = {
  name: 'get',
  summary: 'show every field of one workspace (its full message and recent history too)',
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(
      argv,
      { ...CLIENT_OPTIONS, owner: { type: 'string' }, output: { type: 'string', short: 'o' } },
      usage,
    );
    const [name = ''] = positionals(rest, ['NAME'], usage);
    const output = values.json ? 'json' : values.output;
    if (output !== undefined && output !== 'json' && output !== 'yaml') {
      throw new UsageError(`-o ${output}: the output formats are json and yaml (default: text)`, usage);
    }
    await withClient(values, async (client) => {
      const { workspace } = await client.request(
        'workspace.get',
        values.owner ? { name, owner: values.owner } : { name },
      );
      if (output === 'json') return void process.stdout.write(`${JSON.stringify(workspace, null, 2)}\n`);
      if (output === 'yaml') return void process.stdout.write(workspaceYaml(workspace));
      process.stdout.write(`${describeWorkspace(workspace)}\n`);
    });
    return 0;
  },
};
