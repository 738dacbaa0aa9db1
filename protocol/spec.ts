import { z } from 'zod';
import { IMAGE_REF_FORM, imageRefProblem } from './image-ref';
import { BuildRecord } from './build-record';
import { ForwardPort, Lifecycle } from './devcontainer';
import { SecretRefs } from './secrets';
import { Clone } from './clone';
import { Volumes } from './volumes';

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

/** The longest duration (seconds) a spec or request may name: a year; longer ones overflow dates. */
export const MAX_DURATION_SECONDS = 365 * 86400;

/** A duration in whole seconds from 0 to {@link MAX_DURATION_SECONDS}; `zero` says what 0 means. */
export const Duration = (zero: string) =>
  z
    .number()
    .int()
    .min(0)
    .max(MAX_DURATION_SECONDS, `must be at most ${MAX_DURATION_SECONDS} seconds (365 days)${zero}`);

/**
 * A stored duration: records written before durations were capped are read with theirs cut to the
 * cap (a year is as good as "longer"), so that no date computed from them overflows.
 */
const StoredDuration = z
  .number()
  .int()
  .min(0)
  .transform((seconds) => Math.min(seconds, MAX_DURATION_SECONDS));

/** Text that is passed to a process (environment values, the startup command): no NUL, which Docker cannot pass. */
const ProcessText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((text) => !text.includes('\0'), {
      message: 'must not contain a NUL character (no process can receive one)',
    });

/** Environment variable names, as POSIX shells accept them. */
export const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name');

/**
 * Environment variables by name. A `__proto__` key (JSON can carry one) is refused rather than
 * silently dropped, as a record would: on a plain object it is the prototype, not an entry.
 */
const EnvMap = <T extends z.ZodType<string>>(value: T) =>
  z.preprocess(
    (input, ctx) => {
      if (input && typeof input === 'object' && Object.hasOwn(input, '__proto__')) {
        ctx.addIssue({
          code: 'custom',
          path: ['__proto__'],
          message: 'must not be __proto__ (no environment can keep it); choose another name',
        });
      }
      return input;
    },
    z.record(EnvName, value),
  );

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
  /** CPU cores (fractions allowed, down to Docker's 0.01), enforced with NanoCpus. */
  cpus: z.number().min(0.01, 'must be at least 0.01 (the smallest CPU share Docker sets)').max(1024),
  /** Memory limit in bytes. */
  memory: z
    .number()
    .int()
    .min(64 * MiB, 'must be at least 64 MiB'),
  /** Number of GPUs (or MIG slices) requested; assigned by UUID, exclusively, while the workspace runs. */
  gpus: z.number().int().min(0).max(64),
  /** Only GPUs whose name contains this (case-insensitive), e.g. "H100". */
  gpuModel: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[^\p{Cc}]*$/u, 'must be printable text (no control characters), such as H100 or "A100 80GB"')
    .optional(),
  /** Only GPUs (or MIG slices) with at least this much memory, in bytes. */
  gpuMemory: z.number().int().min(0).optional(),
  /** Exactly these GPU or MIG UUIDs (set by an admin only); `gpus` must equal their count. */
  gpuUuids: z
    .array(z.string().regex(/^(GPU|MIG)-[A-Za-z0-9/-]+$/, 'must be a GPU-… or MIG-… UUID as nvidia-smi -L prints it'))
    .min(1)
    .max(64)
    .optional(),
  env: EnvMap(ProcessText(32 * 1024)),
  /** Shell command started as the SSH user whenever the workspace starts; empty for none. */
  command: ProcessText(8 * 1024),
  user: SshUser,
  timezone: TimeZone.optional(),
  /** Seconds without activity before an idle stop; 0 means never; absent means the agent's default. */
  idleTimeout: Duration('; 0 means never').optional(),
  /**
   * Seconds an SSH connection with nobody present keeps the workspace running (a forgotten window);
   * absent means the agent's default.
   */
  attachedGrace: Duration('').optional(),
  /** Seconds one run may last whatever happens; 0 means no limit; absent means the agent's default. */
  maxLifetime: Duration('; 0 means no limit').optional(),
  // Builds on the host (issue 13 §2): how the image was built, for `berth rebuild`; absent for a named image.
  build: BuildRecord.optional(),
  // workspace.yaml (issue #13)
  /** What the workspace is for, in a line (`berth get`, the tooltip); only people read it. */
  description: z
    .string()
    .max(200)
    .regex(/^[^\p{Cc}]*$/u, 'must be one line of printable text (no control characters)')
    .optional(),
  // Docker-in-Docker (issue 13, section 5):
  /**
   * Runs a Docker engine inside (its data on a volume of its own): the container then gets every
   * capability the host grants, no seccomp or AppArmor profile and the host's cgroups, which is root
   * on the host in all but name. Only where the agent's admin allows it (`berth serve --allow-docker`).
   */
  docker: z.boolean().optional(),
  // devcontainer.json (issue 13 §3): what a definition brings beyond the fields above.
  /** With GPUs asked for: start without them when none can be had (hostRequirements.gpu "optional"). */
  gpusOptional: z.boolean().optional(),
  /** Ports the definition forwards (stored and shown; forwarding them comes later). */
  forwardPorts: z.array(ForwardPort).max(64).optional(),
  /** Lifecycle commands run in the workspace as its user (agent/workspaces/lifecycle.ts). */
  lifecycle: Lifecycle.optional(),
  /** Where the definition came from: the devcontainer.json's path on the client that created it. */
  devcontainer: z.string().min(1).max(4096).optional(),
  // Secrets (issue 15): the secrets it uses, by name and target only; values stay in the agent's secret store.
  secrets: SecretRefs.optional(),
  // Clone on create (issue 15): a repository cloned into the home once, at the first start.
  clone: Clone.optional(),
  // Volumes (issue 13 §3, §4): the owner's named volumes and admin-allowed host binds, beside the home.
  volumes: Volumes.optional(),
});
export type WorkspaceSpec = z.infer<typeof WorkspaceSpec>;

/**
 * A spec as the store keeps it and the wire carries it: {@link WorkspaceSpec} with the limits it had
 * before the image grammar, the NUL check, the CPU floor and the duration cap, so that records made
 * earlier still load (and list) rather than make the whole state file unreadable. Changing such a
 * record goes through {@link WorkspaceSpec} again.
 */
export const StoredWorkspaceSpec = WorkspaceSpec.extend({
  image: StoredImageRef,
  gpuModel: z.string().min(1).max(64).optional(),
  cpus: z.number().positive('must be positive').max(1024),
  env: EnvMap(z.string().max(32 * 1024)),
  command: z.string().max(8 * 1024),
  idleTimeout: StoredDuration.optional(),
  attachedGrace: StoredDuration.optional(),
  maxLifetime: StoredDuration.optional(),
});

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
    // Builds on the host (issue 13 §2).
    build: WorkspaceSpec.shape.build.nullable(),
    description: WorkspaceSpec.shape.description.nullable(),
    // Docker-in-Docker (issue 13): null turns it off.
    docker: WorkspaceSpec.shape.docker.nullable(),
    // devcontainer.json (issue 13 §3)
    gpusOptional: WorkspaceSpec.shape.gpusOptional.nullable(),
    forwardPorts: WorkspaceSpec.shape.forwardPorts.nullable(),
    lifecycle: WorkspaceSpec.shape.lifecycle.nullable(),
    devcontainer: WorkspaceSpec.shape.devcontainer.nullable(),
    // Secrets (issue 15): null uses none.
    secrets: WorkspaceSpec.shape.secrets.nullable(),
    // Clone on create (issue 15): null clones nothing (what a home holds stays).
    clone: WorkspaceSpec.shape.clone.nullable(),
    // Volumes (issue 13): null mounts none (the named volumes themselves stay).
    volumes: WorkspaceSpec.shape.volumes.nullable(),
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
