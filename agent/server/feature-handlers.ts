import { BerthError, StoredFeatureRef, type Params, type Result } from '../../protocol';
import type { FeatureStore } from '../features/store';
import type { User } from '../users';

type FeatureMethod = 'feature.import' | 'feature.list' | 'feature.remove' | 'feature.get';

/** Refuses a non-admin: only admins fill or empty the host's feature store. */
function adminOnly(user: User, what: string): void {
  if (!user.admin) throw new BerthError('forbidden', `only an admin may ${what} this host's features`);
}

/** The feature store's methods (protocol/features.ts): import and remove for admins, list and get for everyone. */
export function featureHandlers(store: FeatureStore): {
  [M in FeatureMethod]: (params: Params<M>, ctx: { user: User }) => Promise<Result<M>>;
} {
  return {
    'feature.import': async ({ ref, tarball }, { user }) => {
      adminOnly(user, 'import');
      return store.import(ref, Buffer.from(tarball, 'base64'), user.name);
    },
    'feature.list': async () => ({ features: await store.list() }),
    'feature.remove': async ({ ref }, { user }) => {
      adminOnly(user, 'remove');
      return { removed: await store.remove(ref) };
    },
    'feature.get': async ({ ref }) => {
      // A reference the store cannot hold (a local path, a URL) is simply not in it.
      if (!StoredFeatureRef.safeParse(ref).success) return { feature: null, tarball: null };
      const found = await store.get(ref);
      return found
        ? { feature: found.feature, tarball: found.tarball.toString('base64') }
        : { feature: null, tarball: null };
    },
  };
}
