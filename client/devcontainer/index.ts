import { parseJsonc } from './jsonc';
import { locateDefinition, readDefinition, type Located } from './locate';
import { translate, type Translation } from './translate';

export { unmetRequirements } from './requirements';
export type { BuildRequest, Translation } from './translate';

/** A devcontainer.json found, read, parsed and translated (refusals and warnings in the result). */
export type Definition = Translation & { located: Located };

/**
 * Loads the definition `given` names (a folder or the file) for workspace `name`: located, parsed as
 * JSONC (errors with `file:line:col`), its variables resolved against `env`, translated.
 */
export async function loadDevcontainer(
  given: string,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<Definition> {
  const located = await locateDefinition(given, cwd);
  const doc = parseJsonc(await readDefinition(located.file), located.file);
  return { ...translate(doc, { name, located, env }), located };
}
