import { z } from 'zod';
import { IMAGE_REF_FORM, imageRefProblem } from './image-ref';

/** Workspace names: what people type, so short and safe in host names, paths and SSH aliases. */
export const WorkspaceName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,62}$/,
    'must be 1–63 lowercase letters, digits or hyphens, starting with a letter (e.g. "my-project")',
  );

/**
 * Names a plain object already has (`{}.constructor`, `{}.__proto__`): as user names they would
 * index the prototype in every object keyed by user.
 */
const RESERVED_USER_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** User names of the agent (token owners). */
export const UserName = z
  .string()
  .regex(
    /^[a-z_][a-z0-9_-]{0,31}$/,
    'must be 1–32 lowercase letters, digits, "_" or "-", starting with a letter or "_"',
  )
  .refine((name) => !RESERVED_USER_NAMES.has(name), {
    message: 'must not be "__proto__", "constructor" or "prototype" (reserved); choose another user name',
  });

/** The Unix account a workspace is entered as. `root` is refused: workspaces run unprivileged logins. */
export const SshUser = UserName.refine((name) => name !== 'root', 'must not be root; the user gets sudo instead');

/**
 * A Docker image reference such as `berth-workspace:latest` or `ghcr.io/org/img@sha256:…`, by
 * Docker's own grammar (see image-ref.ts): anything else is refused before it reaches Docker.
 */
export const ImageRef = z.string().superRefine((ref, ctx) => {
  const problem = imageRefProblem(ref);
  if (problem) ctx.addIssue({ code: 'custom', message: `${problem}; an image reference is ${IMAGE_REF_FORM}` });
});

/** The image as records made before {@link ImageRef} followed Docker's grammar may hold it. */
const StoredImageRef = z
  .string()
  .max(255)
  .regex(/^[a-z0-9][a-z0-9._\-/:@]*$/i, 'must be a Docker image reference such as "debian:bookworm"');

/** Environment variable names, as POSIX shells accept them. */
export const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name');

/** An IANA time zone such as `Europe/Berlin`. */
export const TimeZone = z
  .string()
  .max(64)
  .regex(/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/, 'must be an IANA time zone such as "Europe/Berlin"');

const MiB = 1024 * 1024;

/** The resources and settings a workspace is built from; every field has a value once created. */
export const WorkspaceSpec = z.object({
  name: WorkspaceName,
  image: ImageRef,
  /** CPU cores (fractions allowed), enforced with NanoCpus. */
  cpus: z.number().positive('must be positive').max(1024),
  /** Memory limit in bytes. */
  memory: z
    .number()
    .int()
    .min(64 * MiB, 'must be at least 64 MiB'),
  /** Number of GPUs (or MIG slices) requested; assigned by UUID, exclusively, while the workspace runs. */
  gpus: z.number().int().min(0).max(64),
  /** Only GPUs whose name contains this (case-insensitive), e.g. "H100". */
  gpuModel: z.string().min(1).max(64).optional(),
  /** Only GPUs (or MIG slices) with at least this much memory, in bytes. */
  gpuMemory: z.number().int().min(0).optional(),
  /** Exactly these GPU or MIG UUIDs (set by an admin only); `gpus` must equal their count. */
  gpuUuids: z
    .array(z.string().regex(/^(GPU|MIG)-[A-Za-z0-9/-]+$/, 'must be a GPU-… or MIG-… UUID as nvidia-smi -L prints it'))
    .min(1)
    .max(64)
    .optional(),
  env: z.record(EnvName, z.string().max(32 * 1024)),
  /** Shell command started as the SSH user whenever the workspace starts; empty for none. */
  command: z.string().max(8 * 1024),
  user: SshUser,
  timezone: TimeZone.optional(),
  /** Seconds without activity before an idle stop; 0 means never; absent means the agent's default. */
  idleTimeout: z.number().int().min(0).optional(),
  /**
   * Seconds an SSH connection with nobody present keeps the workspace running (a forgotten window);
   * absent means the agent's default.
   */
  attachedGrace: z.number().int().min(0).optional(),
  /** Seconds one run may last whatever happens; 0 means no limit; absent means the agent's default. */
  maxLifetime: z.number().int().min(0).optional(),
});
export type WorkspaceSpec = z.infer<typeof WorkspaceSpec>;

/**
 * A spec as the store keeps it and the wire carries it: {@link WorkspaceSpec} with the image as it
 * was checked before the image grammar, so that records made earlier still load (and list) rather
 * than make the whole state file unreadable. Changing such a record goes through {@link WorkspaceSpec}
 * again.
 */
export const StoredWorkspaceSpec = WorkspaceSpec.extend({ image: StoredImageRef });

/** What a client sends to create a workspace: a name, and any spec field it wants to choose. */
export const WorkspaceSpecInput = WorkspaceSpec.partial().required({ name: true }).strict();
export type WorkspaceSpecInput = z.infer<typeof WorkspaceSpecInput>;

/**
 * Fields that may change after creation; `name` and `user` are fixed (the home volume depends on them).
 * An optional field set to `null` is cleared: no GPU filter or pinning, the agent's default idle
 * settings, the host's time zone.
 */
export const WorkspaceChanges = WorkspaceSpec.omit({ name: true, user: true })
  .partial()
  .extend({
    gpuModel: WorkspaceSpec.shape.gpuModel.nullable(),
    gpuMemory: WorkspaceSpec.shape.gpuMemory.nullable(),
    gpuUuids: WorkspaceSpec.shape.gpuUuids.nullable(),
    timezone: WorkspaceSpec.shape.timezone.nullable(),
    idleTimeout: WorkspaceSpec.shape.idleTimeout.nullable(),
    attachedGrace: WorkspaceSpec.shape.attachedGrace.nullable(),
    maxLifetime: WorkspaceSpec.shape.maxLifetime.nullable(),
  })
  .strict();
export type WorkspaceChanges = z.infer<typeof WorkspaceChanges>;

/** The spec `changes` make of `spec`: fields set to null are removed. */
export function applyChanges(spec: WorkspaceSpec, changes: WorkspaceChanges): Record<string, unknown> {
  const next: Record<string, unknown> = { ...spec };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  return next;
}
