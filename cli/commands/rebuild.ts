import { BerthError } from '../../protocol';
import { CLIENT_OPTIONS, parse, positionals } from '../args';
import { buildForSpec } from '../build-flags';
import { rebuildInput } from '../../client/devcontainer/rebuild';
import { printWorkspace, withClient, withProgress, type Command } from '../command';
import { OWNER_OPTION, refOf } from './lifecycle';

const usage = 'berth rebuild NAME [--owner USER] [--quiet] [--json]';

/** `berth rebuild NAME`: builds its image again from the same folder and recreates its container. */
export const rebuild: Command = {
  name: 'rebuild',
  summary: 'build a workspace’s image again from its folder and recreate it (home and host key kept)',
  usage,
  async run(argv) {
    const options = { ...CLIENT_OPTIONS, ...OWNER_OPTION, quiet: { type: 'boolean', short: 'q' } } as const;
    const { values, positionals: rest } = parse(argv, options, usage);
    const [name = ''] = positionals(rest, ['NAME'], usage);
    const ref = refOf(name, values.owner);
    const quiet = values.quiet ?? values.json ?? false;
    await withClient(values, async (client) => {
      const { workspace: current } = await client.request('workspace.get', ref);
      const build = current.spec.build;
      if (!build) {
        throw new BerthError(
          'invalid_params',
          `"${name}" was not made from a build (its image is ${current.spec.image}); change its image with berth update ${name} --image IMG`,
        );
      }
      const { workspace } = await withProgress(quiet, async (progress) => {
        const input = await rebuildInput(name, { ...current.spec, build });
        const built = await buildForSpec(client, input, quiet, progress.signal);
        return client.request('workspace.rebuild', { ...ref, ...built }, progress);
      });
      printWorkspace(workspace, values.json ?? false, values);
    });
    return 0;
  },
};
