import { z } from 'zod';
import { HomeId } from './homes';
import { UserName, WorkspaceName } from './spec';
import { Workspace, WorkspaceRef } from './workspace';

/** How long a start may wait in the GPU queue, in seconds (as `workspace.start` takes it). */
const WaitForGpus = z
  .number()
  .int()
  .min(0)
  .max(7 * 86400)
  .optional();

/**
 * A home in the trash: the home of a workspace deleted with its data, kept until `expiresAt` and
 * then deleted by the agent. It counts against no quota. `name` and the definition it was deleted
 * with are what `trash.restore` recreates.
 */
export const TrashEntry = z.object({
  id: HomeId,
  /** The Docker volume (it keeps its name: Docker cannot rename a volume). */
  volume: z.string(),
  owner: UserName,
  /** The name of the workspace that was deleted. */
  name: WorkspaceName,
  image: z.string(),
  deletedAt: z.string(),
  /** When the agent deletes it for good. */
  expiresAt: z.string(),
  /** Bytes on disk as last measured; null before a measurement. */
  bytes: z.number().int().min(0).nullable(),
});
export type TrashEntry = z.infer<typeof TrashEntry>;

/** The methods of archive and trash, merged into the method table. */
export const ARCHIVE_METHODS = {
  /**
   * Archives a workspace: its container goes and its SSH port and GPUs are freed; its home volume,
   * definition and host key stay. Archived workspaces are listed with `archivedAt`.
   */
  'workspace.archive': { params: WorkspaceRef.strict(), result: z.object({ workspace: Workspace }) },
  /**
   * Recreates an archived workspace on its home with its host key and starts it: on its old SSH port
   * when free, else a new one (`previousPort` is the old one).
   */
  'workspace.unarchive': {
    params: WorkspaceRef.extend({ waitForGpus: WaitForGpus }).strict(),
    result: z.object({ workspace: Workspace, previousPort: z.number().int() }),
  },
  /** The caller's trash (an admin's: everyone's), newest first. */
  'trash.list': {
    params: z.object({}).strict(),
    result: z.object({ entries: z.array(TrashEntry), keepSeconds: z.number().int().min(0) }),
  },
  /**
   * Makes a workspace again, with the definition it was deleted with, on a trashed home of the
   * caller's own; `as` names it otherwise (when the old name is taken).
   */
  'trash.restore': {
    params: z
      .object({
        id: HomeId.optional(),
        name: WorkspaceName.optional(),
        as: WorkspaceName.optional(),
        waitForGpus: WaitForGpus,
      })
      .strict()
      .refine((p) => (p.id === undefined) !== (p.name === undefined), 'give the name or the id of a trashed home'),
    result: z.object({ workspace: Workspace }),
  },
  /**
   * Deletes the caller's trashed homes for good; with `all`, everyone's (admins only). With `ids`
   * only those (the entries the user was shown and confirmed): one trashed after the user looked,
   * or restored meanwhile, stays. Clients send `ids`; without it, whatever is there when it arrives.
   */
  'trash.empty': {
    params: z.object({ all: z.literal(true).optional(), ids: z.array(HomeId).max(10_000).optional() }).strict(),
    result: z.object({ removed: z.array(TrashEntry) }),
  },
} as const;
