import { z } from 'zod';
import { UserName } from './spec';

/**
 * The id of a home: the 12 hex digits of the workspace it was made for (its Docker volume is
 * `berth-<id>-home`). Nothing else reaches Docker: a home is always addressed through this.
 */
export const HomeId = z
  .string()
  .regex(/^[a-f0-9]{12}$/, 'must be a home id of 12 hex digits, as berth homes ls shows (e.g. 3fa29c01b2d4)');
export type HomeId = z.infer<typeof HomeId>;

/**
 * A home id from what a person typed: the id itself, or the volume name (`berth-<id>-home`) that
 * older Berth messages printed. Null when it is neither.
 */
export function homeIdFrom(text: string): string | null {
  const match = /^(?:berth-)?([a-f0-9]{12})(?:-home)?$/.exec(text.trim());
  return match?.[1] ?? null;
}

/** A home volume as `home.list` shows it. */
export const Home = z.object({
  id: HomeId,
  /** The Docker volume. */
  volume: z.string(),
  /** Whose it is; null when neither its label nor the agent's records say (such homes are listed to admins only). */
  owner: UserName.nullable(),
  /** The workspace using it now; null when it is kept without one (orphaned). */
  workspace: z.string().nullable(),
  /** The name of the workspace it was made for, from its label; null when unlabelled. */
  madeFor: z.string().nullable(),
  /** Bytes on disk as last measured by Docker's disk-usage API; null before a measurement or when unknown. */
  bytes: z.number().int().min(0).nullable(),
  /** When a workspace last ran on it (now, for a running one); null when unknown (kept by an older Berth). */
  lastUsed: z.string().nullable(),
  /** When Docker made the volume; null when the engine does not say. */
  createdAt: z.string().nullable(),
});
export type Home = z.infer<typeof Home>;

/** The methods of homes, merged into the method table. */
export const HOME_METHODS = {
  /** The caller's homes (an admin's list holds everyone's, and those whose owner is unknown), orphaned ones included. */
  'home.list': {
    params: z.object({}).strict(),
    /** `at`: when the sizes were measured; null before the first measurement. */
    result: z.object({ homes: z.array(Home), at: z.string().nullable() }),
  },
  /** Deletes a kept home and every file in it: its owner's (or an admin's); refused while a workspace uses it. */
  'home.delete': {
    params: z.object({ id: HomeId }).strict(),
    result: z.object({ id: HomeId, volume: z.string() }),
  },
} as const;
