import { BerthError, type Params, type Result } from '../../protocol';
import type { User, Users } from '../users';
import type { WorkspaceService } from '../workspaces/service';

type UserMethod = 'user.tokens' | 'user.revokeToken' | 'user.keys' | 'user.removeKey' | 'user.list';
type Handler<M extends UserMethod> = (params: Params<M>, ctx: { user: User; tokenId: string }) => Promise<Result<M>>;

/** The user `user` names (default: the caller); only an admin may name someone else. */
function target(caller: User, user: string | undefined, what: string): string {
  const name = user ?? caller.name;
  if (name !== caller.name && !caller.admin) {
    throw new BerthError('forbidden', `only an admin may ${what} of another user (${name})`);
  }
  return name;
}

/**
 * The handlers of a user's tokens and keys: everyone manages their own, admins anyone's. Revoking a
 * token closes its connections through the users file's watch (see the server), not from here.
 */
export function userHandlers({ users, service }: { users: Users; service: WorkspaceService }): {
  [M in UserMethod]: Handler<M>;
} {
  return {
    'user.tokens': async ({ user }, ctx) => {
      const name = user === undefined && ctx.user.admin ? undefined : target(ctx.user, user, 'list the tokens');
      return { tokens: await users.tokens(name, ctx.tokenId) };
    },
    'user.revokeToken': async (params, ctx) => {
      if ('user' in params) target(ctx.user, params.user, 'revoke the tokens');
      const revoked = await users.revokeTokens(params, (owner) => {
        if (owner !== ctx.user.name && !ctx.user.admin) {
          throw new BerthError(
            'forbidden',
            `that token belongs to another user; only an admin may revoke another user's token (yours: berth token ls)`,
          );
        }
      });
      return { revoked: revoked.map((token) => ({ ...token, current: token.id === ctx.tokenId })) };
    },
    'user.list': async (_params, ctx) => {
      if (!ctx.user.admin) throw new BerthError('forbidden', 'only an admin may list the users');
      const workspaces = service.list(ctx.user);
      return {
        users: (await users.users()).map((u) => ({
          ...u,
          workspaces: workspaces.filter((ws) => ws.owner === u.name).map((ws) => ws.name),
        })),
      };
    },
    'user.keys': async ({ user }, ctx) => {
      const name = target(ctx.user, user, 'list the keys');
      return { user: name, keys: await users.keyList(name) };
    },
    'user.removeKey': async ({ user, fingerprint }, ctx) => {
      const name = target(ctx.user, user, 'remove keys');
      const removed = await users.removeKey(name, fingerprint);
      await service.refreshKeys(name);
      return { user: name, ...removed };
    },
  };
}
