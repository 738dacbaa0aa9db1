import { z } from 'zod';
import { Workspace, WorkspaceRef } from './workspace';

/** Methods of clone on create (protocol/clone.ts). */
export const CLONE_METHODS = {
  /**
   * Clones the workspace's `clone` again (a failed clone is not retried by itself): the workspace
   * must be running; answers once the clone ended, its output as `workspace.progress`. `cloned`:
   * false when the workspace has no repository to clone (nothing was done).
   */
  'workspace.clone': {
    params: WorkspaceRef.strict(),
    result: z.object({ workspace: Workspace, cloned: z.boolean() }),
  },
} as const;
