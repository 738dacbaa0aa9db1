import { BerthError } from '../../protocol';
import type { AgentConfig } from '../config';

/**
 * Refuses a spec with `docker: true` (Docker-in-Docker) where the admin has not allowed it: such a
 * workspace is privileged, root on the host in all but name, so only the admin may offer it. Checked
 * at create, update, start and restart, so that withdrawing the allowance stops new runs too.
 */
export function requireDockerAllowed(config: Pick<AgentConfig, 'allowDocker'>, spec: { docker?: boolean }): void {
  if (spec.docker && !config.allowDocker) {
    throw new BerthError(
      'forbidden',
      'docker: this host does not allow Docker inside workspaces; its admin must enable it (berth serve --allow-docker), knowing that such a workspace is privileged: it gives root on the host',
    );
  }
}
