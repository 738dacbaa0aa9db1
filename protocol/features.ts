import { z } from 'zod';

/**
 * Devcontainer features (issue 13 §3): what a feature's `devcontainer-feature.json` may say, and the
 * methods of the host's feature store, which an admin fills with published feature tarballs
 * (`berth feature import`) so that definitions naming OCI ids resolve offline.
 */

/**
 * The image label of a features build naming the build it installs on (a `berth-build/…` tag):
 * the agent removes that base with it once no workspace names either.
 */
export const FEATURES_BASE_LABEL = 'dev.berth.features-base';

/** The most a `devcontainer-feature.json` may weigh, in bytes. */
export const MAX_FEATURE_METADATA_BYTES = 64 * 1024;

/** The most a feature tarball (as published: a .tgz or .tar) may weigh, in bytes; it travels in one frame. */
export const MAX_FEATURE_TARBALL_BYTES = 512 * 1024;

/** The most a feature's files may weigh together, unpacked (a local folder, or a tarball's contents). */
export const MAX_FEATURE_CONTENT_BYTES = 16 * 1024 * 1024;

/** The most files and folders one feature may hold. */
export const MAX_FEATURE_ENTRIES = 2000;

const Text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((text) => !text.includes('\0'), 'must not contain a NUL character');

/** A record whose `__proto__` key (JSON.parse makes one) is refused rather than dropped. */
const NoProto = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((input, ctx) => {
    if (input && typeof input === 'object' && Object.hasOwn(input, '__proto__')) {
      ctx.addIssue({ code: 'custom', path: ['__proto__'], message: 'must not be __proto__; choose another name' });
    }
    return input;
  }, schema);

/** An option's id: the key of `options`, which becomes an environment variable (see optionEnvName). */
const OptionId = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be letters, digits, "_", "." or "-" (at most 128)');

/** One option of a feature: boolean or string, a default of its type, a strict `enum` or free `proposals`. */
export const FeatureOption = z
  .object({
    type: z.enum(['boolean', 'string'], { message: 'must be "boolean" or "string"' }),
    default: z.union([z.boolean(), Text(4096)]).optional(),
    enum: z.array(Text(4096)).min(1).max(200).optional(),
    proposals: z.array(Text(4096)).max(200).optional(),
    description: Text(8192).optional(),
  })
  .passthrough()
  .superRefine((option, ctx) => {
    const { type, default: value } = option;
    if (value !== undefined && typeof value !== type) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: `must be a ${type}, as the option's type says` });
    }
    if (type === 'boolean' && (option.enum || option.proposals)) {
      ctx.addIssue({ code: 'custom', path: ['type'], message: 'a boolean option has no enum or proposals' });
    }
    if (option.enum && option.proposals) {
      ctx.addIssue({
        code: 'custom',
        path: ['proposals'],
        message: 'give enum (strict) or proposals (free), not both',
      });
    }
    if (option.enum && typeof value === 'string' && !option.enum.includes(value)) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: 'must be one of its enum' });
    }
  });
export type FeatureOption = z.infer<typeof FeatureOption>;

/** A feature id as `installsAfter` and `dependsOn` name one (an OCI id without its tag, or a bare id). */
const FeatureRefText = z.string().regex(/^[A-Za-z0-9_./:@-]{1,512}$/, 'must be a feature id such as ghcr.io/x/y/z');

/** A variable name a Dockerfile's ENV can set. */
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be a variable name (letters, digits, _)');

/**
 * The properties of `devcontainer-feature.json` Berth reads (containers.dev/implementors/features);
 * others pass (customizations, legacyIds, deprecated…). The host-changing ones (`privileged`,
 * `capAdd`, `securityOpt`, `init`, `entrypoint`, `mounts`) are refused by the client, by name.
 */
export const FeatureMetadata = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be letters, digits, "_", "." or "-" (at most 128)'),
    version: z
      .string()
      .regex(/^\d+(\.\d+){0,2}([-+][0-9A-Za-z.+-]{1,64})?$/, 'must be a semantic version such as 1.2.0')
      .optional(),
    name: Text(512).optional(),
    description: Text(8192).optional(),
    options: NoProto(z.record(OptionId, FeatureOption))
      .refine((options) => Object.keys(options).length <= 100, 'at most 100 options')
      .optional(),
    containerEnv: NoProto(z.record(EnvName, Text(32 * 1024)))
      .refine((env) => Object.keys(env).length <= 100, 'at most 100 variables')
      .optional(),
    installsAfter: z.array(FeatureRefText).max(100).optional(),
    dependsOn: NoProto(z.record(FeatureRefText, z.unknown()))
      .refine((deps) => Object.keys(deps).length <= 100, 'at most 100 features')
      .optional(),
  })
  .passthrough();
export type FeatureMetadata = z.infer<typeof FeatureMetadata>;

/** The properties of a feature that would change how its container runs on the shared host: refused. */
export const FEATURE_REFUSED: Record<string, string> = {
  privileged: 'a privileged container is root on the shared host',
  capAdd: 'extra capabilities weaken the isolation between workspaces on a shared host',
  securityOpt: 'security options (seccomp, AppArmor unconfined) weaken the isolation between workspaces',
  init: "sshd is the container's first process and reaps its children; Berth adds no other init",
  entrypoint: "Berth always runs its own init (sshd); a feature's entrypoint would not run",
  mounts: "a feature's mounts are not supported: the workspace would start without them",
};

/** A reference to a feature in the host's store: an OCI id with a tag or digest (`ghcr.io/x/y/node:1`). */
export const StoredFeatureRef = z
  .string()
  .max(512)
  .regex(
    /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]{1,5})?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$/,
    'must be an OCI feature id with its version, such as ghcr.io/devcontainers/features/node:1',
  );

/** A feature in the host's store, as listed. */
export const StoredFeature = z.object({
  ref: z.string(),
  /** The feature's own id and version, from its devcontainer-feature.json. */
  id: z.string(),
  version: z.string().nullable(),
  /** The tarball's size in bytes, and its SHA-256. */
  size: z.number().int().min(0),
  sha256: z.string(),
  importedAt: z.string(),
  importedBy: z.string(),
});
export type StoredFeature = z.infer<typeof StoredFeature>;

/** The tarball itself, base64 (one frame carries it: at most {@link MAX_FEATURE_TARBALL_BYTES}). */
const Tarball = z
  .string()
  .max(Math.ceil(MAX_FEATURE_TARBALL_BYTES / 3) * 4)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

/** The methods of the feature store, merged into the method table. */
export const FEATURE_METHODS = {
  /** Admin only: stores the published tarball of feature `ref` (checked: sizes, paths, no links), replacing one there. */
  'feature.import': {
    params: z.object({ ref: StoredFeatureRef, tarball: Tarball }).strict(),
    result: z.object({ feature: StoredFeature, replaced: z.boolean() }),
  },
  /** The features in the store (any user: definitions name them). */
  'feature.list': { params: z.object({}).strict(), result: z.object({ features: z.array(StoredFeature) }) },
  /** Admin only: removes feature `ref` from the store. */
  'feature.remove': {
    params: z.object({ ref: StoredFeatureRef }).strict(),
    result: z.object({ removed: StoredFeature }),
  },
  /** The tarball of feature `ref`, or null when the store lacks it (any user; the client builds with it). */
  'feature.get': {
    params: z.object({ ref: z.string().max(512) }).strict(),
    result: z.object({ feature: StoredFeature.nullable(), tarball: z.string().nullable() }),
  },
} as const;
