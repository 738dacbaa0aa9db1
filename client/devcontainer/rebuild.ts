import type { BuildRecord, WorkspaceSpec } from '../../protocol';
import type { BuildInput } from '../build-send';
import { loadDevcontainer } from './index';

/**
 * What `berth rebuild` and Rebuild Workspace build for workspace `name`: a workspace made from a
 * devcontainer.json with features gets its definition read again (its features are not in the
 * record: they are read when built); any other the folder its record names.
 */
export async function rebuildInput(
  name: string,
  spec: Pick<WorkspaceSpec, 'devcontainer'> & { build: BuildRecord },
): Promise<BuildInput> {
  const { build } = spec;
  const recorded: BuildInput = {
    contextDir: build.context,
    dockerfile: build.dockerfile,
    args: build.args,
    target: build.target,
  };
  if (!spec.devcontainer) return recorded;
  const definition = await loadDevcontainer(spec.devcontainer, name).catch(() => null);
  return definition?.build?.features && !definition.refusals.length ? definition.build : recorded;
}
