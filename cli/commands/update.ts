import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { printWorkspace, withClient, withProgress, type Command } from '../command';
import { IDLE_SPEC_USAGE } from '../idle-flags';
import { SPEC_OPTIONS, specFlags } from './create';
import { CLONE_USAGE } from '../clone-flags';
import type { WorkspaceChanges } from '../../protocol';
import { DOCKER_PRIVILEGED } from '../workspace-view';

/** `--clear FLAG`: the optional settings that can go back to none (or to the agent's default). */
const CLEARABLE = {
  'gpu-model': 'gpuModel',
  'gpu-memory': 'gpuMemory',
  'gpu-uuid': 'gpuUuids',
  timezone: 'timezone',
  'idle-timeout': 'idleTimeout',
  'attached-grace': 'attachedGrace',
  'max-lifetime': 'maxLifetime',
  docker: 'docker',
  secrets: 'secrets',
  clone: 'clone',
} as const;

const usage = `berth update NAME [--image IMG] [--cpus N] [--memory SIZE] [--gpus N] [--gpu-model TEXT] [--gpu-memory SIZE] [--gpu-uuid UUID]... [--env KEY=VALUE]... [--command CMD] [--secret NAME[=ENV_VAR]]... [--secret-file NAME[:/PATH]]... [--timezone TZ] ${IDLE_SPEC_USAGE} [--docker] ${CLONE_USAGE} [--clear ${Object.keys(CLEARABLE).join('|')}]... [--json]`;

/** `berth update NAME`: changes image, limits or settings; a running workspace is recreated on its home volume. */
export const update: Command = {
  name: 'update',
  summary: "change a workspace's image, limits or settings (its home is kept)",
  usage,
  async run(argv) {
    const options = { ...CLIENT_OPTIONS, ...SPEC_OPTIONS, clear: { type: 'string', multiple: true } } as const;
    const { values, positionals: rest } = parse(argv, options, usage);
    const [name = ''] = positionals(rest, ['NAME'], usage);
    const changes: WorkspaceChanges = specFlags(values, usage);
    // --clone-secret names one of the workspace's secret files; without --secret flags its list stays.
    if (!values.secret && !values['secret-file']) delete changes.secrets;
    for (const flag of values.clear ?? []) {
      if (!Object.hasOwn(CLEARABLE, flag)) {
        throw new UsageError(`--clear ${flag}: expected one of ${Object.keys(CLEARABLE).join(', ')}`, usage);
      }
      changes[CLEARABLE[flag as keyof typeof CLEARABLE]] = null;
    }
    if (!Object.keys(changes).length) throw new UsageError('nothing to change; give at least one option', usage);
    await withClient(values, async (client) => {
      const { workspace } = await withProgress(values.quiet ?? values.json ?? false, (options) =>
        client.request('workspace.update', { name, changes }, options),
      );
      printWorkspace(workspace, values.json ?? false);
      if (changes.docker && !values.json) process.stdout.write(`${DOCKER_PRIVILEGED}\n`);
      if (!values.json && workspace.state === 'stopped') {
        process.stdout.write(`Start it with the new spec: berth start ${name}\n`);
      }
    });
    return 0;
  },
};
