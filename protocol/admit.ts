import { z } from 'zod';
import { WorkspaceSpecInput } from './spec';

/**
 * `workspace.admit` asks a host whether it would take a workspace now, by its own rules, without
 * making anything: what `berth move` asks the target before any byte moves, so a target without room
 * refuses while the source is still untouched.
 */
export const ADMIT_METHODS = {
  /**
   * Checks what a create of `spec` for the caller would check (the spec against this host, the name,
   * a free SSH port, the image, Docker-in-Docker, the secrets it names, GPUs free now within the
   * caller's quota, the disk quota with `homeBytes` more) and reserves nothing. The reply is an
   * answer for now only: a create right after can still be refused. A refusal is the error a create
   * would give.
   */
  'workspace.admit': {
    params: z
      .object({
        spec: WorkspaceSpecInput,
        /** What the workspace's home will take on this host's disk (a moved home's size). */
        homeBytes: z
          .number()
          .int()
          .min(0)
          .max(2 ** 53 - 1)
          .default(0),
      })
      .strict(),
    /** `sshPort`: the port a create now would get (not held for it). */
    result: z.object({ sshPort: z.number().int() }),
  },
} as const;
