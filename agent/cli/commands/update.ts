import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { printWorkspace, withClient, withProgress, type Command } from '../command';
import { IDLE_SPEC_USAGE } from '../../idle/flags';
import { SPEC_OPTIONS, specFlags } from './create';

const usage = `berth update NAME [--image IMG] [--cpus N] [--memory SIZE] [--gpus N] [--gpu-model TEXT] [--gpu-memory SIZE] [--gpu-uuid UUID]... [--env KEY=VALUE]... [--command CMD] [--timezone TZ] ${IDLE_SPEC_USAGE} [--json]`;

/** `berth update NAME`: changes image, limits or settings; a running workspace is recreated on its home volume. */
export const update: Command = {
  name: 'update',
  summary: "change a workspace's image, limits or settings (its home is kept)",
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(argv, { ...CLIENT_OPTIONS, ...SPEC_OPTIONS }, usage);
    const [name = ''] = positionals(rest, ['NAME'], usage);
    const changes = specFlags(values, usage);
    if (!Object.keys(changes).length) throw new UsageError('nothing to change; give at least one option', usage);
    await withClient(values, async (client) => {
      const { workspace } = await withProgress(client, values.quiet ?? values.json ?? false, (signal) =>
        client.request('workspace.update', { name, changes }, { signal }),
      );
      printWorkspace(workspace, values.json ?? false);
    });
    return 0;
  },
};
