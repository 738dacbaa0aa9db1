import { z } from 'zod';
import { CloneUrl } from './clone';

/**
 * A user's own settings on a host (issue 15, dotfiles): each user reads and sets only theirs,
 * admins too. `dotfiles`: a git repository cloned into every new home and installed the way
 * Codespaces does (agent/workspaces/dotfiles.ts).
 */
export const UserSettings = z.object({ dotfiles: CloneUrl.optional() }).strict();
export type UserSettings = z.infer<typeof UserSettings>;

export const SETTINGS_METHODS = {
  /** The caller's settings. */
  'settings.get': {
    params: z.object({}).strict(),
    result: z.object({ settings: UserSettings }),
  },
  /** Changes the caller's settings: a field set to null goes back to none. */
  'settings.set': {
    params: z.object({ dotfiles: CloneUrl.nullable().optional() }).strict(),
    result: z.object({ settings: UserSettings }),
  },
} as const;
