import { z } from 'zod';
import { UserName } from './spec';
import { VolumeName } from './volumes';

/** A named volume as `volume.list` shows it: one of an owner's, kept whatever becomes of workspaces. */
export const NamedVolume = z.object({
  /** Its name as its owner gives it in a spec (`data`). */
  name: VolumeName,
  owner: UserName,
  /** The Docker volume (`berth-vol-<agent>-<owner>.<name>`). */
  volume: z.string(),
  /** Bytes on disk as last measured by Docker's disk-usage API; null before a measurement or when unknown. */
  bytes: z.number().int().min(0).nullable(),
  /** The owner's workspaces whose spec names it now (archived ones included); empty when none does. */
  workspaces: z.array(z.string()),
  /** When Docker made the volume; null when the engine does not say. */
  createdAt: z.string().nullable(),
});
export type NamedVolume = z.infer<typeof NamedVolume>;

/** The methods of named volumes, merged into the method table. */
export const VOLUME_METHODS = {
  /** The caller's named volumes (an admin's list holds everyone's), used by a workspace or not. */
  'volume.list': {
    params: z.object({}).strict(),
    /** `at`: when the sizes were measured; null before the first measurement. */
    result: z.object({ volumes: z.array(NamedVolume), at: z.string().nullable() }),
  },
  /**
   * Deletes a named volume and every file in it: the caller's own, or (an admin's only) `owner`'s;
   * refused while a workspace's spec names it.
   */
  'volume.delete': {
    params: z.object({ name: VolumeName, owner: UserName.optional() }).strict(),
    result: z.object({ name: VolumeName, owner: UserName, volume: z.string() }),
  },
} as const;
