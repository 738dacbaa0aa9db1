import type { Params, Result } from '../../protocol';
import type { SecretVault } from '../secrets/vault';
import { admit } from '../workspaces/admit';
import type { WorkspaceService } from '../workspaces/service';
import type { User } from '../users';
import { requireSecrets } from './secret-handlers';

/** `workspace.admit`: whether this host would take the caller's workspace now; always the caller's own. */
export function admitHandlers({ service, vault }: { service: WorkspaceService; vault: SecretVault | undefined }): {
  'workspace.admit': (params: Params<'workspace.admit'>, ctx: { user: User }) => Promise<Result<'workspace.admit'>>;
} {
  return {
    'workspace.admit': async ({ spec, homeBytes }, { user }) => {
      requireSecrets(vault, user, spec.secrets, spec.env);
      return { sshPort: await admit(service.deps, service.reservations, user, spec, homeBytes) };
    },
  };
}
