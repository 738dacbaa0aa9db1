import { BerthError } from '../../protocol';
import type { AgentConfig } from '../config';

/** Whether `owner` may have workspaces with Docker inside: everyone's (`--allow-docker`) or theirs (`--allow-docker-for`). */
export const dockerAllowedFor = (config: Pick<AgentConfig, 'allowDocker' | 'allowDockerFor'>, owner: string): boolean =>
  config.allowDocker || config.allowDockerFor.includes(owner);

/**
 * Refuses a spec of `owner` with `docker: true` (Docker-in-Docker) where the admin has not allowed
 * it to them: such a workspace is privileged, root on the host in all but name, so only the admin may
 * offer it, to everyone or to users by name. Checked at create, update, start, restart, unarchive,
 * restore and a move's admission, so that withdrawing the allowance stops new runs too.
 */
export function requireDockerAllowed(
  config: Pick<AgentConfig, 'allowDocker' | 'allowDockerFor'>,
  spec: { docker?: boolean },
  owner: string,
): void {
  if (!spec.docker || dockerAllowedFor(config, owner)) return;
  if (config.allowDockerFor.length) {
    throw new BerthError(
      'forbidden',
      `docker: this host allows Docker inside workspaces only to the users its admin named, and ${owner} is not one; ask the admin (berth serve --allow-docker-for ${owner}), knowing that such a workspace is privileged: it gives root on the host`,
    );
  }
  throw new BerthError(
    'forbidden',
    'docker: this host does not allow Docker inside workspaces; its admin must enable it (berth serve --allow-docker, or --allow-docker-for USER), knowing that such a workspace is privileged: it gives root on the host',
  );
}
