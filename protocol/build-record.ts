import { z } from 'zod';

/**
 * How an image is built on the host (`image.build`): the Dockerfile's path inside the context, build
 * arguments, target stage. The context itself travels apart (see protocol/build.ts).
 */

/** A path inside the build context, as the Dockerfile is named: relative, `/`-separated, no `..`. */
export const ContextPath = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (p) => !p.startsWith('/') && !p.includes('\0') && !p.includes('\\') && !p.split('/').includes('..'),
    'must be a relative path inside the build context (no "..", no leading "/"), such as Dockerfile or docker/Dockerfile.dev',
  );

/** Build argument names (`ARG NAME` in a Dockerfile). */
const ArgName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid build argument name');

/** Text handed to the build (no NUL, which Docker cannot pass). */
const ArgValue = z
  .string()
  .max(32 * 1024)
  .refine((text) => !text.includes('\0'), 'must not contain a NUL character');

/** A build's arguments by name; a `__proto__` key (JSON can carry one) is refused rather than dropped. */
const BuildArgs = z.preprocess(
  (input, ctx) => {
    if (input && typeof input === 'object' && Object.hasOwn(input, '__proto__')) {
      ctx.addIssue({ code: 'custom', path: ['__proto__'], message: 'must not be __proto__; choose another name' });
    }
    return input;
  },
  z.record(ArgName, ArgValue),
);

/** A multi-stage Dockerfile's stage name (`FROM … AS NAME`). */
const Target = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'must be the name of a stage of the Dockerfile (FROM … AS NAME)');

/** The content hash of a build: SHA-256 (hex) of its definition and its context's paths, modes and contents. */
export const BuildHash = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hex digits (a SHA-256)');

/** What a build is made of, besides its context. */
export const BuildDefinition = z
  .object({
    dockerfile: ContextPath.default('Dockerfile'),
    args: BuildArgs.default({}),
    target: Target.optional(),
  })
  .strict();
export type BuildDefinition = z.infer<typeof BuildDefinition>;

/**
 * How a workspace's image was made (the spec's optional `build`), so that `berth rebuild` can make it
 * again: the context folder as the client named it (a path on the client's machine), the definition,
 * and the hash it had.
 */
export const BuildRecord = z
  .object({
    context: z
      .string()
      .min(1)
      .max(4096)
      .refine((p) => !p.includes('\0'), 'must not contain a NUL character'),
    dockerfile: ContextPath,
    args: BuildArgs,
    target: Target.optional(),
    hash: BuildHash,
  })
  .strict();
export type BuildRecord = z.infer<typeof BuildRecord>;
