import { BerthError, type Params, type Result } from '../../protocol';
import type { SettingsStore } from '../settings';
import type { User } from '../users';

type SettingsMethod = 'settings.get' | 'settings.set';

/** The handlers of users' own settings: each caller's, admins included (no method names another user). */
export function settingsHandlers(settings: SettingsStore | undefined): {
  [M in SettingsMethod]: (params: Params<M>, ctx: { user: User }) => Promise<Result<M>>;
} {
  const store = (): SettingsStore => {
    if (!settings) throw new BerthError('internal', 'this agent keeps no user settings');
    return settings;
  };
  return {
    'settings.get': (_params, { user }) => Promise.resolve({ settings: store().get(user.name) }),
    'settings.set': async (changes, { user }) => ({ settings: await store().set(user.name, changes) }),
  };
}
