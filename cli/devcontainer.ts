import type { AgentClient } from '../client/agent-client';
import { loadDevcontainer, unmetRequirements, type Definition } from '../client/devcontainer';
import { runPostAttach as runSharedPostAttach } from '../client/post-attach';
import { BerthError, type ParamsInput, type Workspace } from '../protocol';

/**
 * Reads the definition `--devcontainer PATH` names for workspace `name` and prints, before anything
 * is created, each property it ignores and each it refuses (to stderr); any refusal fails here.
 */
export async function readDevcontainer(given: string, name: string): Promise<Definition> {
  const definition = await loadDevcontainer(given, name);
  for (const line of definition.warnings) process.stderr.write(`warning: ${line}\n`);
  for (const line of definition.refusals) process.stderr.write(`refused: ${line}\n`);
  const count = definition.refusals.length;
  if (count) {
    throw new BerthError(
      'invalid_params',
      `${definition.located.file}: ${count} ${count === 1 ? 'property' : 'properties'} refused (above); nothing was created: remove ${count === 1 ? 'it' : 'them'} from the definition`,
    );
  }
  return definition;
}

/**
 * The create request of a definition with the command line's flags over it (`flags` holds only the
 * flags given): env merged, flags winning; `--gpus` makes GPUs required. Checks `hostRequirements`
 * against host.info. A definition's `build` is left to the caller (berth create builds it on the host).
 */
export async function devcontainerParams(
  client: AgentClient,
  definition: Definition,
  flags: ParamsInput<'workspace.create'>,
): Promise<ParamsInput<'workspace.create'>> {
  const info = await client.request('host.info', {});
  const unmet = unmetRequirements(definition.requirements, info);
  if (unmet.length) throw new BerthError('no_capacity', unmet.join('; '));
  const params: ParamsInput<'workspace.create'> = { ...definition.spec, ...flags };
  if (definition.spec.env && flags.env) params.env = { ...definition.spec.env, ...flags.env };
  if (flags.gpus !== undefined) delete params.gpusOptional;
  return params;
}

/**
 * Runs the workspace's `postAttachCommand` as `berth ssh` attaches (client/post-attach.ts), its
 * output on stderr; a failure is said, and does not keep the user out.
 */
export async function runPostAttach(client: AgentClient, workspace: Workspace): Promise<void> {
  for (const { label, why } of await runSharedPostAttach(client, workspace, process.stderr)) {
    process.stderr.write(`berth ssh: ${label} failed (${why})\n`);
  }
}
