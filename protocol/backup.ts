import { z } from 'zod';
import { WorkspaceName } from './spec';
import { Workspace, WorkspaceRef } from './workspace';

/**
 * `workspace.backup` and `workspace.restore` stream a backup file (its format: agent/backup/format.ts)
 * over the same frames and flow control as `workspace.exec` (protocol/exec.ts):
 * - backup: the file's bytes come as binary frames of the request (protocol/build.ts
 *   `bytesFrameHeader`: the request's id, then the bytes; a request whose id is a string gets them
 *   as `workspace.exec.output` events, `stdout`), and the agent stops reading the home while more
 *   than its output window waits to be sent;
 * - restore: the client sends the file as binary frames (or as `ExecInput` frames, base64), at most
 *   `EXEC_STDIN_WINDOW` beyond what `workspace.exec.stdin` acknowledged, then `{input: id, eof: true}`.
 * Binary frames keep gigabytes out of base64 and out of V8's heap, on both ends.
 * A cancel frame stops either; a backup then starts a workspace it stopped again, and a restore
 * removes everything it made.
 */
export const BACKUP_METHODS = {
  /** Streams a backup of the workspace's home, definition and host key; the reply ends the stream. */
  'workspace.backup': {
    params: WorkspaceRef.extend({
      /** Copy a running workspace without stopping it (files may change while they are read). */
      live: z.boolean().default(false),
    }).strict(),
    /** `bytes`: the file's size; `stopped`: it was stopped for the copy (and started again after). */
    result: z.object({ bytes: z.number().int().min(0), stopped: z.boolean() }),
  },
  /**
   * Recreates a workspace of the caller's from a backup streamed in: its home, definition and host
   * key; GPUs and the SSH port by this host's rules. Every checksum is checked as the bytes arrive;
   * the workspace is recorded only once its home is in place and verified.
   */
  'workspace.restore': {
    params: z
      .object({
        /** The new workspace's name (default: the one in the backup). */
        name: WorkspaceName.optional(),
        /**
         * The file's size in bytes (a stream that ends early or runs long is refused). Absent (a
         * backup streamed on as it is made, `berth move`): the input's end ends the file, and the
         * manifest at its end (sizes, sha256s) is what refuses a truncated or overlong stream.
         */
        bytes: z
          .number()
          .int()
          .min(0)
          .max(2 ** 53 - 1)
          .optional(),
      })
      .strict(),
    result: z.object({ workspace: Workspace }),
  },
} as const;
