import { z } from 'zod';

/** The most bytes (UTF-8) a secret's value may hold. */
export const MAX_SECRET_BYTES = 64 * 1024;

/** Where a file target lands when none is named: a tmpfs in the workspace, readable by its user only. */
export const SECRETS_DIR = '/run/secrets';

/** Names no plain object can key safely. */
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A secret's name: like an environment variable, or a slug with hyphens (`GITHUB_TOKEN`, `ssh-key`),
 * so it is safe as a file name under {@link SECRETS_DIR} and in a shell word.
 */
export const SecretName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/,
    'must be 1–64 letters, digits, "_" or "-", starting with a letter or "_" (e.g. GITHUB_TOKEN)',
  )
  .refine((name) => !RESERVED.has(name), { message: 'must not be "__proto__", "constructor" or "prototype"' });

/**
 * The value of a secret: text of at most {@link MAX_SECRET_BYTES} bytes, without NUL (no process or
 * file target can take one). Schema messages never repeat the value.
 */
export const SecretValue = z
  .string()
  .min(1, 'must not be empty')
  .refine((value) => new TextEncoder().encode(value).length <= MAX_SECRET_BYTES, {
    message: `must be at most ${MAX_SECRET_BYTES / 1024} KiB`,
  })
  .refine((value) => !value.includes('\0'), { message: 'must not contain a NUL character' });

/**
 * Where a secret file goes in the workspace: an absolute path of plain characters. Under
 * {@link SECRETS_DIR} only the secret's own name is allowed; elsewhere the path is a link to it there.
 */
export const SecretPath = z
  .string()
  .max(255)
  .regex(
    /^\/[A-Za-z0-9._@+-]+(\/[A-Za-z0-9._@+-]+)*$/,
    'must be an absolute path of letters, digits and . _ @ + - (e.g. /run/secrets/token)',
  )
  .refine((p) => !p.split('/').some((part) => part === '.' || part === '..'), {
    message: 'must not contain "." or ".." parts',
  })
  .refine((p) => !/^\/(proc|sys|dev|\.berth|\.berth-secrets|run\/berth)(\/|$)/.test(p), {
    message: 'must not be under /proc, /sys, /dev, /.berth or /run/berth',
  });

/**
 * One secret a workspace uses, by name (never its value): as an environment variable (`env`) or as
 * a file (`file`), exactly one of the two. Union's workspace.yaml writes `{key, env}`.
 */
export const SecretRef = z
  .object({
    key: SecretName,
    env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name')
      .max(128)
      .optional(),
    file: SecretPath.optional(),
  })
  .strict()
  .refine((ref) => (ref.env === undefined) !== (ref.file === undefined), {
    message: 'give exactly one of env (a variable name) or file (a path)',
  })
  .refine((ref) => !ref.file?.startsWith(`${SECRETS_DIR}/`) || ref.file === `${SECRETS_DIR}/${ref.key}`, {
    message: `under ${SECRETS_DIR} a secret file must be named after its secret`,
  });
export type SecretRef = z.infer<typeof SecretRef>;

/** The secrets of a spec: at most 64, no variable or path twice. */
export const SecretRefs = z
  .array(SecretRef)
  .max(64)
  .superRefine((refs, ctx) => {
    const seen = new Set<string>();
    for (const ref of refs) {
      const target = ref.env !== undefined ? `env ${ref.env}` : `file ${ref.file ?? ''}`;
      if (seen.has(target)) ctx.addIssue({ code: 'custom', message: `${target} is given twice` });
      seen.add(target);
    }
  });

/** A secret as listings show it: never its value. */
export const SecretInfo = z.object({
  name: SecretName,
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The caller's workspaces whose spec names it. */
  usedBy: z.array(z.string()),
});
export type SecretInfo = z.infer<typeof SecretInfo>;

/**
 * The methods of secrets, merged into the method table. Secrets are per user: every caller, admins
 * included, sets, lists and deletes only their own, and no reply carries a value.
 */
export const SECRET_METHODS = {
  /** Sets (or replaces) a secret; running workspaces that use it get the new value at their next start. */
  'secret.set': {
    params: z.object({ name: SecretName, value: SecretValue }).strict(),
    /** `restartNeeded`: the running workspaces that still hold the old value until they start again. */
    result: z.object({ secret: SecretInfo, created: z.boolean(), restartNeeded: z.array(z.string()) }),
  },
  'secret.list': {
    params: z.object({}).strict(),
    result: z.object({ secrets: z.array(SecretInfo) }),
  },
  /**
   * Deletes a secret; refused (`conflict`, naming them) while a workspace uses it. With `ifExists`,
   * an unknown name is no error (`deleted` false).
   */
  'secret.delete': {
    params: z.object({ name: SecretName, ifExists: z.boolean().default(false) }).strict(),
    result: z.object({ name: SecretName, deleted: z.boolean() }),
  },
} as const;
