import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../util/files';
import { containerName } from './record';

/** What the agent writes: 16 hex digits. */
const VALID_ID = /^[0-9a-f]{16}$/;

/**
 * The id of the agent owning `stateDir`, made on first start; it labels the agent's Docker objects,
 * so an agent that took a new one would lose sight of its containers and volumes. A file that is
 * there but holds no valid id (emptied, overwritten) is therefore an error saying how to restore it;
 * `knownIds` (workspace ids of the store) name a container to read it from.
 */
export async function agentId(stateDir: string, knownIds: readonly string[]): Promise<string> {
  const file = path.join(stateDir, 'agent-id');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const id = randomBytes(8).toString('hex');
    await writeFileAtomic(file, `${id}\n`, { mode: 0o644 });
    return id;
  }
  const id = text.trim();
  if (VALID_ID.test(id)) return id;
  const held = id ? `holds "${id.length > 40 ? `${id.slice(0, 40)}…` : id}"` : 'is empty';
  const container = knownIds.length ? containerName(knownIds[0] ?? '') : 'berth-<workspace id>';
  throw new Error(
    `${file} ${held}, not an agent id (16 hex digits). The id labels this agent's containers and volumes, so starting with a new one would lose them: write the old one back (${container} carries it: docker inspect -f '{{index .Config.Labels "dev.berth.agent"}}' ${container}), or, for a state directory without workspaces, remove the file`,
  );
}
