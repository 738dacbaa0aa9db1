import type { WorkspaceSpecInput } from '../../../protocol';
import { CLIENT_OPTIONS, UsageError, numberOption, parse, positionals } from '../args';
import { printWorkspace, withClient, withProgress, type Command } from '../command';
import { parseSize } from '../format';

const usage =
  'berth create NAME [--image IMG] [--cpus N] [--memory SIZE] [--gpus N] [--env KEY=VALUE]... [--command CMD] [--user NAME] [--timezone TZ] [--json]';

const SPEC_OPTIONS = {
  ...CLIENT_OPTIONS,
  image: { type: 'string' },
  cpus: { type: 'string' },
  memory: { type: 'string' },
  gpus: { type: 'string' },
  env: { type: 'string', multiple: true },
  command: { type: 'string' },
  timezone: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

/** Reads the spec flags shared by `create` and `update` (only those given). */
export function specFlags(
  values: {
    image?: string;
    cpus?: string;
    memory?: string;
    gpus?: string;
    env?: string[];
    command?: string;
    timezone?: string;
  },
  usage: string,
): Omit<WorkspaceSpecInput, 'name'> {
  const spec: Omit<WorkspaceSpecInput, 'name'> = {};
  if (values.image !== undefined) spec.image = values.image;
  const cpus = numberOption('cpus', values.cpus, usage);
  if (cpus !== undefined) spec.cpus = cpus;
  if (values.memory !== undefined) {
    const memory = parseSize(values.memory);
    if (memory === null) throw new UsageError(`--memory ${values.memory}: expected a size such as 512m or 8g`, usage);
    spec.memory = memory;
  }
  const gpus = numberOption('gpus', values.gpus, usage, true);
  if (gpus !== undefined) spec.gpus = gpus;
  if (values.env) {
    spec.env = {};
    for (const pair of values.env) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError(`--env ${pair}: expected KEY=VALUE`, usage);
      spec.env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  if (values.command !== undefined) spec.command = values.command;
  if (values.timezone !== undefined) spec.timezone = values.timezone;
  return spec;
}

export { SPEC_OPTIONS };

/** `berth create NAME`: creates a workspace and waits until its sshd answers. */
export const create: Command = {
  name: 'create',
  summary: 'create a workspace and wait until it is running',
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(argv, { ...SPEC_OPTIONS, user: { type: 'string' } }, usage);
    const [name = ''] = positionals(rest, ['NAME'], usage);
    const params: WorkspaceSpecInput = { name, ...specFlags(values, usage) };
    if (values.user !== undefined) params.user = values.user;
    await withClient(values, async (client) => {
      const { workspace } = await withProgress(client, values.quiet ?? values.json ?? false, (signal) =>
        client.request('workspace.create', params, { signal }),
      );
      printWorkspace(workspace, values.json ?? false);
    });
    return 0;
  },
};
