import { z } from 'zod';

/**
 * Volumes of a workspace beside its home (issue 13 §3, §4): named volumes that belong to the
 * workspace's owner (one Docker volume per owner and name, kept when workspaces go), and binds of
 * host folders an admin allow-listed on the agent. Shapes only: the agent checks the allow-list
 * and the home (agent/workspaces/volume-rules.ts).
 */

/** A named volume's name, as its owner calls it (`data`, `${devcontainerId}-history`). */
export const VolumeName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/,
    'must be 1–100 letters, digits, "_" or "-", starting with a letter or digit (e.g. "data")',
  );

/**
 * Paths of the container that a volume may neither cover, nor lie in, nor lie above: the system
 * (a mount there breaks the login and sshd), Berth's own (its init, the secrets, the inner Docker's
 * data) and the kernel's.
 */
export const RESERVED_TARGETS = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/proc',
  '/run',
  '/sbin',
  '/sys',
  '/usr',
  '/var/lib/docker',
  '/.berth',
  '/.berth-secrets',
];

/** Whether `inner` is `outer` or lies below it (both normalized absolute paths). */
export function pathWithin(inner: string, outer: string): boolean {
  return inner === outer || outer === '/' || inner.startsWith(`${outer}/`);
}

/** Why `target` cannot be a mount point (undefined: it can), in words. */
export function targetProblem(target: string): string | undefined {
  if (!target.startsWith('/')) return 'must be an absolute path such as /data';
  if (target === '/') return 'must not be / (it would cover the whole container)';
  if (/[\p{Cc}:,]/u.test(target)) return 'must not contain control characters, ":" or ","';
  const parts = target.slice(1).split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..')) {
    return 'must be a normalized path: no "//", ".", ".." or trailing "/"';
  }
  const reserved = RESERVED_TARGETS.find((path) => pathWithin(target, path) || pathWithin(path, target));
  if (reserved) {
    return `must not cover, lie in or lie above ${reserved} (the system's or Berth's own); use a path such as /data`;
  }
  return undefined;
}

/** A mount point in the container, by {@link targetProblem}. */
const Target = z
  .string()
  .max(1024)
  .superRefine((target, ctx) => {
    const problem = targetProblem(target);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A host folder or file to bind: an absolute path (the agent resolves its links and checks its allow-list). */
const BindSource = z
  .string()
  .min(2)
  .max(4096)
  .regex(/^\/[^\p{Cc}:,]*$/u, 'must be an absolute host path without control characters, ":" or ","');

/** One volume: `{name, target}` (the owner's named volume) or `{bind, target}` (an allow-listed host path). */
export const WorkspaceVolume = z
  .object({
    name: VolumeName.optional(),
    bind: BindSource.optional(),
    target: Target,
    readOnly: z.boolean().optional(),
  })
  .strict()
  .superRefine((volume, ctx) => {
    if ((volume.name === undefined) === (volume.bind === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'give either name (a named volume of yours) or bind (a host path the admin allows), not both or neither',
      });
    }
  });
export type WorkspaceVolume = z.infer<typeof WorkspaceVolume>;

/** A workspace's volumes: at most 32, each target once. */
export const Volumes = z
  .array(WorkspaceVolume)
  .max(32)
  .superRefine((volumes, ctx) => {
    const seen = new Set<string>();
    volumes.forEach((volume, index) => {
      if (seen.has(volume.target)) {
        ctx.addIssue({ code: 'custom', path: [index, 'target'], message: `${volume.target} is mounted twice` });
      }
      seen.add(volume.target);
    });
  });

/** `data → /data (read-only)`, as `berth get` and the tooltip show a volume. */
export function describeVolume(volume: WorkspaceVolume): string {
  const source = volume.name !== undefined ? volume.name : `host ${volume.bind}`;
  return `${source} → ${volume.target}${volume.readOnly ? ' (read-only)' : ''}`;
}
