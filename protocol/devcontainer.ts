import { z } from 'zod';

/**
 * What a devcontainer.json brings into a workspace spec that the other fields do not: its lifecycle
 * commands and its forwarded ports (see client/devcontainer/). Separate from spec.ts so that the
 * definition's shapes stay in one place.
 */

/** Text given to a process: no NUL, which no process can receive. */
const CommandText = z
  .string()
  .min(1, 'must not be empty')
  .max(8 * 1024)
  .refine((text) => !text.includes('\0'), { message: 'must not contain a NUL character' });

/** One command: a string run by `/bin/sh -c`, or an argv array run as it is (no shell). */
export const SingleCommand = z.union([
  CommandText,
  z
    .array(z.string().max(8 * 1024))
    .min(1)
    .max(256),
]);
export type SingleCommand = z.infer<typeof SingleCommand>;

/** A name of a parallel command in the object form. */
const CommandName = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1–64 letters, digits, "_", ".", ":" or "-"')
  .refine((name) => name !== '__proto__', { message: 'must not be __proto__' });

/** A lifecycle command in the devcontainer.json forms: string, array, or named commands run in parallel. */
export const LifecycleCommand = z.union([
  SingleCommand,
  z.preprocess(
    (input, ctx) => {
      if (input && typeof input === 'object' && Object.hasOwn(input, '__proto__')) {
        ctx.addIssue({ code: 'custom', message: 'a command must not be named __proto__' });
      }
      return input;
    },
    z.record(CommandName, SingleCommand).refine((commands) => Object.keys(commands).length <= 32, {
      message: 'at most 32 parallel commands',
    }),
  ),
]);
export type LifecycleCommand = z.infer<typeof LifecycleCommand>;

/** The stages, in the order they run. The first three run once per home; postStart at every start. */
export const LIFECYCLE_STAGES = [
  'onCreateCommand',
  'updateContentCommand',
  'postCreateCommand',
  'postStartCommand',
  'postAttachCommand',
] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** The stages that run once per home volume (a marker in the home remembers them). */
export const ONCE_PER_HOME: readonly LifecycleStage[] = [
  'onCreateCommand',
  'updateContentCommand',
  'postCreateCommand',
];

/** The stage a create or start waits for (`waitFor`); `initializeCommand` (refused) means none. */
export const WaitFor = z.enum([
  'initializeCommand',
  'onCreateCommand',
  'updateContentCommand',
  'postCreateCommand',
  'postStartCommand',
]);
export type WaitFor = z.infer<typeof WaitFor>;

/** The lifecycle commands of a workspace, with the spec's `waitFor` (default: updateContentCommand). */
export const Lifecycle = z
  .object({
    onCreateCommand: LifecycleCommand.optional(),
    updateContentCommand: LifecycleCommand.optional(),
    postCreateCommand: LifecycleCommand.optional(),
    postStartCommand: LifecycleCommand.optional(),
    postAttachCommand: LifecycleCommand.optional(),
    waitFor: WaitFor.optional(),
  })
  .strict();
export type Lifecycle = z.infer<typeof Lifecycle>;

/** A port the definition forwards (`forwardPorts` with its `portsAttributes`); stored and shown. */
export const ForwardPort = z
  .object({
    port: z.number().int().min(1).max(65535),
    /** For a `"host:port"` entry: the host name (another service's). */
    host: z
      .string()
      .regex(/^[A-Za-z0-9.-]{1,253}$/, 'must be a host name')
      .optional(),
    label: z.string().max(128).optional(),
    protocol: z.enum(['http', 'https']).optional(),
    onAutoForward: z.enum(['notify', 'openBrowser', 'openBrowserOnce', 'openPreview', 'silent', 'ignore']).optional(),
  })
  .strict();
export type ForwardPort = z.infer<typeof ForwardPort>;

/** `port`, `host:port` and its label, as `berth get` and the tooltip show it. */
export function describePort(port: ForwardPort): string {
  const where = port.host ? `${port.host}:${port.port}` : String(port.port);
  const extra = [port.label, port.protocol].filter(Boolean).join(', ');
  return extra ? `${where} (${extra})` : where;
}
