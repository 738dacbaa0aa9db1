import { CLIENT_OPTIONS, parse, positionals } from '../args';
import { printWorkspace, withClient, withProgress, type Command } from '../command';
import { waitFlag } from './create';
import { OWNER_OPTION, refOf } from './lifecycle';

const archiveUsage = 'berth archive NAME [--owner USER] [--json]';
const unarchiveUsage = 'berth unarchive NAME [--owner USER] [--wait-gpus DURATION] [--json]';

/**
 * `berth archive NAME`: the container goes and its SSH port and GPUs are freed; the home, the
 * definition and the host key stay, for `berth unarchive`.
 */
export const archive: Command = {
  name: 'archive',
  summary: 'archive a workspace: free its container, SSH port and GPUs; keep its home and host key',
  usage: archiveUsage,
  async run(argv) {
    const options = { ...CLIENT_OPTIONS, ...OWNER_OPTION, quiet: { type: 'boolean', short: 'q' } } as const;
    const { values, positionals: rest } = parse(argv, options, archiveUsage);
    const [name = ''] = positionals(rest, ['NAME'], archiveUsage);
    await withClient(values, async (client) => {
      const { workspace } = await withProgress(values.quiet ?? values.json ?? false, (progress) =>
        client.request('workspace.archive', refOf(name, values.owner), progress),
      );
      if (values.json) return printWorkspace(workspace, true);
      process.stdout.write(
        `Archived ${name}: its container is gone and SSH port ${workspace.ssh.port} and any GPUs are free; the home, definition and host key are kept. Bring it back with: berth unarchive ${name}\n`,
      );
    });
    return 0;
  },
};

/** `berth unarchive NAME`: recreates it on its home with its host key, on its old port when free. */
export const unarchive: Command = {
  name: 'unarchive',
  summary: 'bring an archived workspace back and start it (same home, same host key)',
  usage: unarchiveUsage,
  async run(argv) {
    const options = {
      ...CLIENT_OPTIONS,
      ...OWNER_OPTION,
      quiet: { type: 'boolean', short: 'q' },
      'wait-gpus': { type: 'string' },
    } as const;
    const { values, positionals: rest } = parse(argv, options, unarchiveUsage);
    const [name = ''] = positionals(rest, ['NAME'], unarchiveUsage);
    const waitForGpus = waitFlag(values['wait-gpus'], unarchiveUsage);
    await withClient(values, async (client) => {
      const { workspace, previousPort } = await withProgress(values.quiet ?? values.json ?? false, (progress) =>
        client.request('workspace.unarchive', { ...refOf(name, values.owner), waitForGpus }, progress),
      );
      if (values.json) return printWorkspace(workspace, true);
      if (workspace.ssh.port !== previousPort) {
        process.stdout.write(
          `Its old SSH port ${previousPort} was taken meanwhile; it is on port ${workspace.ssh.port} now (berth ssh and VS Code follow).\n`,
        );
      }
      printWorkspace(workspace, false, values);
    });
    return 0;
  },
};
