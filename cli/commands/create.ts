import { SECRETS_DIR, type ParamsInput, type SecretRef, type WorkspaceSpecInput } from '../../protocol';
import { CLIENT_OPTIONS, UsageError, numberOption, parse, positionals } from '../args';
import { printWorkspace, withClient, withProgress, type Command } from '../command';
import { durationProblem, parseDuration } from '../duration';
import { parseSize } from '../format';
import { IDLE_SPEC_OPTIONS, IDLE_SPEC_USAGE, idleSpecFlags } from '../idle-flags';
import { devcontainerParams, readDevcontainer } from '../devcontainer';
import { homeArgument } from './homes';
import { CLONE_OPTIONS, CLONE_USAGE, cloneFlags } from '../clone-flags';
import { DOCKER_PRIVILEGED } from '../workspace-view';
import { BUILD_OPTIONS, BUILD_USAGE, buildFlags, buildForSpec } from '../build-flags';

const usage = `berth create NAME [--image IMG] [--cpus N] [--memory SIZE] [--gpus N [--gpu-model TEXT] [--gpu-memory SIZE] [--wait-gpus DURATION]] [--gpu-uuid UUID]... [--env KEY=VALUE]... [--command CMD] [--secret NAME[=ENV_VAR]]... [--secret-file NAME[:/PATH]]... [--user NAME] [--timezone TZ] ${IDLE_SPEC_USAGE} [--home HOME] [--docker] [--devcontainer PATH] ${BUILD_USAGE} ${CLONE_USAGE} [--json]`;

const SPEC_OPTIONS = {
  ...CLIENT_OPTIONS,
  image: { type: 'string' },
  cpus: { type: 'string' },
  memory: { type: 'string' },
  gpus: { type: 'string' },
  'gpu-model': { type: 'string' },
  'gpu-memory': { type: 'string' },
  'gpu-uuid': { type: 'string', multiple: true },
  env: { type: 'string', multiple: true },
  command: { type: 'string' },
  timezone: { type: 'string' },
  ...IDLE_SPEC_OPTIONS,
  quiet: { type: 'boolean', short: 'q' },
  docker: { type: 'boolean' },
  secret: { type: 'string', multiple: true },
  'secret-file': { type: 'string', multiple: true },
  ...CLONE_OPTIONS,
} as const;

/**
 * `--secret NAME[=ENV_VAR]` (the variable defaults to the name) and `--secret-file NAME[:/PATH]`
 * (the path defaults to /run/secrets/NAME) as the spec's references; undefined when neither is given.
 */
export function secretFlags(
  values: { secret?: string[]; 'secret-file'?: string[] },
  usage: string,
): SecretRef[] | undefined {
  if (!values.secret && !values['secret-file']) return undefined;
  const refs: SecretRef[] = [];
  for (const text of values.secret ?? []) {
    const [key = '', env = key] = text.split(/=(.*)/s, 2);
    if (!key) throw new UsageError(`--secret ${text}: expected NAME or NAME=ENV_VAR`, usage);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(env)) {
      throw new UsageError(`--secret ${text}: "${env}" is no variable name; name one: --secret ${key}=MY_VAR`, usage);
    }
    refs.push({ key, env });
  }
  for (const text of values['secret-file'] ?? []) {
    const colon = text.indexOf(':');
    const key = colon < 0 ? text : text.slice(0, colon);
    if (!key) throw new UsageError(`--secret-file ${text}: expected NAME or NAME:/PATH`, usage);
    refs.push({ key, file: colon < 0 ? `${SECRETS_DIR}/${key}` : text.slice(colon + 1) });
  }
  return refs;
}

/** Reads the spec flags shared by `create` and `update` (only those given). */
export function specFlags(
  values: {
    image?: string;
    cpus?: string;
    memory?: string;
    gpus?: string;
    'gpu-model'?: string;
    'gpu-memory'?: string;
    'gpu-uuid'?: string[];
    env?: string[];
    command?: string;
    timezone?: string;
    docker?: boolean;
    secret?: string[];
    'secret-file'?: string[];
  } & Parameters<typeof idleSpecFlags>[0] &
    Parameters<typeof cloneFlags>[0],
  usage: string,
): Omit<WorkspaceSpecInput, 'name'> {
  const spec: Omit<WorkspaceSpecInput, 'name'> = idleSpecFlags(values, usage);
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
  if (values['gpu-model'] !== undefined) spec.gpuModel = values['gpu-model'];
  if (values['gpu-memory'] !== undefined) {
    const memory = parseSize(values['gpu-memory']);
    if (memory === null) {
      throw new UsageError(`--gpu-memory ${values['gpu-memory']}: expected a size such as 40g`, usage);
    }
    spec.gpuMemory = memory;
  }
  if (values['gpu-uuid']?.length) {
    spec.gpuUuids = values['gpu-uuid'];
    spec.gpus ??= values['gpu-uuid'].length;
  }
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
  if (values.docker) spec.docker = true;
  const secrets = secretFlags(values, usage);
  if (secrets) spec.secrets = secrets;
  const cloned = cloneFlags(values, spec.secrets, usage);
  if (cloned) Object.assign(spec, cloned);
  return spec;
}

export { SPEC_OPTIONS };

/** `--wait-gpus 10m` (or 90s, 2h) as seconds; undefined when not given. */
export function waitFlag(text: string | undefined, usage: string): number | undefined {
  if (text === undefined) return undefined;
  const seconds = parseDuration(text);
  if (seconds === null) throw new UsageError(`--wait-gpus ${text}: ${durationProblem(text)}`, usage);
  return seconds;
}

/** `berth create NAME`: creates a workspace and waits until its sshd answers. */
export const create: Command = {
  name: 'create',
  summary: 'create a workspace and wait until it is running',
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(
      argv,
      {
        ...SPEC_OPTIONS,
        user: { type: 'string' },
        'wait-gpus': { type: 'string' },
        home: { type: 'string' },
        ...BUILD_OPTIONS,
        devcontainer: { type: 'string' },
      },
      usage,
    );
    const [name = ''] = positionals(rest, ['NAME'], usage);
    let params: ParamsInput<'workspace.create'> = { name, ...specFlags(values, usage) };
    if (values.user !== undefined) params.user = values.user;
    const wait = waitFlag(values['wait-gpus'], usage);
    if (wait !== undefined) params.waitForGpus = wait;
    if (values.home !== undefined) params.home = homeArgument(values.home, usage);
    const flagBuild = buildFlags(values, usage);
    if (flagBuild && params.image !== undefined) throw new UsageError('give --image or --build, not both', usage);
    // Printed (what it ignores, what it refuses) before anything is asked of the agent.
    const definition = values.devcontainer === undefined ? null : await readDevcontainer(values.devcontainer, name);
    const quiet = values.quiet ?? values.json ?? false;
    await withClient(values, async (client) => {
      if (definition) params = await devcontainerParams(client, definition, params);
      // --build, else the definition's build (unless --image names the image instead).
      const build = flagBuild ?? (params.image === undefined ? (definition?.build ?? null) : null);
      if (definition?.build?.features && build !== definition.build) {
        process.stderr.write(
          `warning: features: ignored: ${flagBuild ? '--build' : '--image'} names the image instead\n`,
        );
      }
      const { workspace } = await withProgress(quiet, async (options) => {
        if (build) Object.assign(params, await buildForSpec(client, build, quiet, options.signal));
        return client.request('workspace.create', params, options);
      });
      printWorkspace(workspace, values.json ?? false, values);
      if (workspace.spec.docker && !values.json) process.stdout.write(`${DOCKER_PRIVILEGED}\n`);
    });
    return 0;
  },
};
