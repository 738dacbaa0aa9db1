import { BerthError } from '../../protocol';
import { CLIENT_OPTIONS, parse, positionals } from '../args';
import { printWorkspace, withClient, withProgress, type Command } from '../command';
import { OWNER_OPTION, refOf } from './lifecycle';

const usage = 'berth clone NAME [--owner USER] [--quiet] [--json]';

/**
 * `berth clone NAME`: clones the workspace's repository (`create --clone`) again, after a clone that
 * failed (a clone is tried once per home by itself). git's output comes as progress.
 */
export const clone: Command = {
  name: 'clone',
  summary: 'clone a workspace’s repository again (after a failed clone on create)',
  usage,
  async run(argv) {
    const options = { ...CLIENT_OPTIONS, ...OWNER_OPTION, quiet: { type: 'boolean', short: 'q' } } as const;
    const { values, positionals: rest } = parse(argv, options, usage);
    const [name = ''] = positionals(rest, ['NAME'], usage);
    const ref = refOf(name, values.owner);
    await withClient(values, async (client) => {
      const { workspace, cloned } = await withProgress(values.quiet ?? values.json ?? false, (progress) =>
        client.request('workspace.clone', ref, progress),
      );
      if (!cloned) {
        throw new BerthError(
          'invalid_params',
          `"${name}" has no repository to clone; give it one with berth update ${name} --clone URL`,
        );
      }
      printWorkspace(workspace, values.json ?? false, values);
    });
    return 0;
  },
};
