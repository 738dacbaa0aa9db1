import { BerthError, type Params, type Result, type SecretRef, type Workspace } from '../../protocol';
import { unsafeForRoot } from '../runtime/container-env';
import type { SecretVault } from '../secrets/vault';
import type { User } from '../users';
import type { WorkspaceService } from '../workspaces/service';

type SecretMethod = 'secret.set' | 'secret.list' | 'secret.delete';
type Handler<M extends SecretMethod> = (params: Params<M>, ctx: { user: User }) => Promise<Result<M>>;

/** The caller's own workspaces (an admin's too: secrets are per user, whoever asks). */
const ownWorkspaces = (service: WorkspaceService, user: User): Workspace[] =>
  service.list({ name: user.name, admin: false }).filter((ws) => ws.owner === user.name);

const uses = (ws: Workspace, name: string): boolean => (ws.spec.secrets ?? []).some((ref) => ref.key === name);

/**
 * The handlers of secrets. Each user, admins included, sets, lists and deletes only their own: the
 * vault is keyed by the caller's name and no method takes another. No reply carries a value.
 */
export function secretHandlers({ vault, service }: { vault: SecretVault | undefined; service: WorkspaceService }): {
  [M in SecretMethod]: Handler<M>;
} {
  const required = (): SecretVault => {
    if (!vault) throw new BerthError('internal', 'this agent was built without secrets');
    return vault;
  };
  const info = (user: User, meta: { name: string; createdAt: string; updatedAt: string }) => ({
    ...meta,
    usedBy: ownWorkspaces(service, user)
      .filter((ws) => uses(ws, meta.name))
      .map((ws) => ws.name),
  });
  return {
    'secret.set': async ({ name, value }, ctx) => {
      const { meta, created } = await required().set(ctx.user.name, name, value);
      const restartNeeded = ownWorkspaces(service, ctx.user)
        .filter((ws) => ws.state === 'running' && uses(ws, name))
        .map((ws) => ws.name);
      return { secret: info(ctx.user, meta), created, restartNeeded };
    },
    'secret.list': async (_params, ctx) => ({
      secrets: required()
        .list(ctx.user.name)
        .map((meta) => info(ctx.user, meta)),
    }),
    'secret.delete': async ({ name, ifExists }, ctx) => {
      const own = required();
      if (!own.has(ctx.user.name, name)) {
        if (ifExists) return { name, deleted: false };
        throw new BerthError('not_found', `you have no secret ${name}; berth secret ls lists yours`);
      }
      const users = ownWorkspaces(service, ctx.user).filter((ws) => uses(ws, name));
      if (users.length) {
        const names = users.map((ws) => ws.name);
        throw new BerthError(
          'conflict',
          `secret ${name} is used by ${names.map((n) => `"${n}"`).join(', ')}; remove it from ${names.length > 1 ? 'them' : 'it'} first (berth update NAME --clear secrets)`,
          { workspaces: names },
        );
      }
      return { name, deleted: await own.delete(ctx.user.name, name) };
    },
  };
}

/** Variables the login, the init or Berth set, which a secret must not replace. */
const SESSION_VARIABLES = /^(?:BERTH_\w*|NVIDIA_VISIBLE_DEVICES|PATH|HOME|USER|LOGNAME|SHELL|IFS|TERM|PWD|TZ)$/;

/**
 * Refuses a spec that names a secret `user` has not set (`not_found`, naming it), or puts one in a
 * variable that steers the init or the login (`invalid_params`).
 */
export function requireSecrets(
  vault: SecretVault | undefined,
  user: User,
  refs: readonly SecretRef[] | null | undefined,
  env: Readonly<Record<string, string>> = {},
): void {
  for (const ref of refs ?? []) {
    if (ref.env !== undefined && Object.hasOwn(env, ref.env)) {
      throw new BerthError(
        'invalid_params',
        `secrets: ${ref.env} is also set by env; give the secret ${ref.key} another variable or drop it from env`,
      );
    }
    if (ref.env !== undefined && (unsafeForRoot(ref.env) || SESSION_VARIABLES.test(ref.env))) {
      throw new BerthError(
        'invalid_params',
        `secrets: ${ref.env} is set by the system or steers programs run as root; give the secret ${ref.key} another variable`,
      );
    }
    if (!vault?.has(user.name, ref.key)) {
      throw new BerthError(
        'not_found',
        `secret ${ref.key} is not set; set it first (berth secret set ${ref.key}), then create or update the workspace`,
        { secret: ref.key },
      );
    }
  }
}
