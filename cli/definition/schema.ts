import { z } from 'zod';
import type { WorkspaceSpecInput } from '../../protocol';
import { durationProblem, parseDuration } from '../duration';
import { parseSize } from '../format';

/**
 * The document of a `workspace.yaml`: a workspace's definition as people write it (sizes such as
 * `8g`, durations such as `30m`, resources grouped), the counterpart of `berth create`'s flags. Each
 * key maps to one spec field; `berth get NAME -o yaml` prints the same document back, with the
 * workspace's state under `status` (read-only: apply ignores it), so get → edit → apply round-trips.
 */

/** A size: `8g`, `512m`, `40GiB`, or a number of bytes. */
const Size = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const bytes = typeof value === 'number' ? value : parseSize(value);
  if (bytes === null || !Number.isSafeInteger(bytes) || bytes < 0) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(value)} is not a size; write one such as 512m, 8g or 40g`,
    });
    return z.NEVER;
  }
  return bytes;
});

/** A duration: `30m`, `4h`, `1h30m`, or 0 (YAML reads a bare 0 as a number). */
const Duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const seconds = typeof value === 'number' && value === 0 ? 0 : parseDuration(String(value));
  if (seconds === null) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)}: ${durationProblem(String(value))}` });
    return z.NEVER;
  }
  return seconds;
});

/** Environment values: YAML reads `PORT: 8080` as a number and `DEBUG: true` as a boolean; both mean text. */
const EnvValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const Resources = z
  .object({
    cpus: z.number(),
    memory: Size,
    gpus: z.number().int(),
    gpuModel: z.string(),
    gpuMemory: Size,
    gpuUuids: z.array(z.string()),
  })
  .partial()
  .strict();

const Idle = z.object({ timeout: Duration, attachedGrace: Duration, maxLifetime: Duration }).partial().strict();

/** Keys of the format that this agent's protocol cannot carry yet: refused by name, never dropped. */
export const NOT_YET: Record<string, string> = {};

/**
 * An entry written short (a number or a string, read by `short`, which words its own errors) or
 * as an object of `full`: a union would word every failure "Invalid input".
 */
const shortOrFull = <T>(short: (value: number | string) => T | string, full: z.ZodType<T>) =>
  z.unknown().transform((value, ctx): T => {
    if (typeof value === 'number' || typeof value === 'string') {
      const read = short(value);
      if (typeof read !== 'string') return read;
      ctx.addIssue({ code: 'custom', message: read });
      return z.NEVER;
    }
    const parsed = full.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue(issue as never);
    return z.NEVER;
  });

/**
 * A port the workspace forwards (stored and shown; forwarding comes later): `8080`, `"db:5432"`
 * (another service's), or `{port, host, label, protocol, onAutoForward}`.
 */
const PortEntry = shortOrFull(
  (value): { port: number; host?: string } | string => {
    if (typeof value === 'number') return { port: value };
    const match = /^(?:([^:]+):)?(\d{1,5})$/.exec(value);
    if (!match) return `${JSON.stringify(value)} is not a port; write 8080 or "host:5432"`;
    return { port: Number(match[2]), ...(match[1] !== undefined ? { host: match[1] } : {}) };
  },
  z
    .object({ port: z.number(), host: z.string(), label: z.string(), protocol: z.string(), onAutoForward: z.string() })
    .partial()
    .required({ port: true })
    .strict(),
);

/**
 * A volume beside the home: `NAME:/target[:ro]` (a named volume of yours, kept when workspaces
 * go), `/host/path:/target[:ro]` (a host folder the host's admin allows), or `{name | bind, target,
 * readOnly}`.
 */
const VolumeEntry = shortOrFull(
  (value): { name?: string; bind?: string; target: string; readOnly?: boolean } | string => {
    const [source = '', target, mode, ...rest] = String(value).split(':');
    if (!source || target === undefined || rest.length || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
      return `${JSON.stringify(value)} is not a volume; write NAME:/path, /host/path:/path, or either with :ro`;
    }
    return {
      ...(source.startsWith('/') ? { bind: source } : { name: source }),
      target,
      ...(mode === 'ro' ? { readOnly: true } : {}),
    };
  },
  z
    .object({ name: z.string(), bind: z.string(), target: z.string(), readOnly: z.boolean() })
    .partial()
    .required({ target: true })
    .strict(),
);

/**
 * A secret the workspace uses (values stay in the agent's secret store: berth secret set):
 * `NAME` (as the variable of that name), `{key: NAME, env: VAR}` or `{key: NAME, file: /PATH}`.
 */
const SecretEntry = z.union([
  z.string().transform((key) => ({ key, env: key })),
  z.object({ key: z.string(), env: z.string(), file: z.string() }).partial().required({ key: true }).strict(),
]);

/** A repository cloned into the home at the first start: a URL, or `{url, branch, into, secret}`. */
const CloneEntry = z.union([
  z.string().transform((url) => ({ url })),
  z
    .object({ url: z.string(), branch: z.string(), into: z.string(), secret: z.string() })
    .partial()
    .required({ url: true })
    .strict(),
]);

/**
 * The image built on the host (berth create --build): `context` is the folder sent, relative to the
 * workspace.yaml; `dockerfile` a path inside it. Every apply packs the folder again: the same files
 * are a cache hit, changed ones a new image (and a new container).
 */
export const Build = z
  .object({
    context: z.string().min(1),
    dockerfile: z.string(),
    args: z.record(z.string(), EnvValue),
    target: z.string(),
  })
  .partial()
  .required({ context: true })
  .strict();
export type Build = z.output<typeof Build>;

/** A group whose keys are all commented out (`idle:` alone) is YAML's null: the same as leaving it out. */
const group = <T extends z.ZodType>(schema: T) => z.preprocess((value) => value ?? undefined, schema.optional());

/** The document, strictly: an unknown key is an error, so a typo never silently changes nothing. */
export const WorkspaceFile = z
  .object({
    name: z.string(),
    description: z.string(),
    image: z.string(),
    resources: group(Resources),
    env: group(z.record(z.string(), EnvValue)),
    command: z.string(),
    idle: group(Idle),
    timezone: z.string(),
    user: z.string(),
    /** Docker inside the workspace (where the host's admin allows it: it gives root on the host). */
    docker: z.boolean(),
    secrets: group(z.array(SecretEntry)),
    build: Build,
    clone: CloneEntry,
    ports: group(z.array(PortEntry)),
    volumes: group(z.array(VolumeEntry)),
    /** What `berth get -o yaml` prints of the workspace's state: read-only, ignored here. */
    status: z.unknown(),
    ...Object.fromEntries(Object.keys(NOT_YET).map((key) => [key, z.unknown()])),
  })
  .partial()
  .required({ name: true })
  .strict()
  .superRefine((doc, ctx) => {
    if (doc.build && doc.image !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['image'],
        message: 'give image or build, not both (a build names its image)',
      });
    }
    for (const [key, why] of Object.entries(NOT_YET)) {
      if (Object.hasOwn(doc, key)) ctx.addIssue({ code: 'custom', path: [key], message: why });
    }
  });
export type WorkspaceFile = z.output<typeof WorkspaceFile>;

/** The create request a definition makes: only what it names (the agent fills in its defaults). */
export function specOf(doc: WorkspaceFile): WorkspaceSpecInput {
  const spec: WorkspaceSpecInput = { name: doc.name };
  const { resources = {}, idle = {} } = doc;
  if (doc.description !== undefined) spec.description = doc.description;
  if (doc.image !== undefined) spec.image = doc.image;
  if (resources.cpus !== undefined) spec.cpus = resources.cpus;
  if (resources.memory !== undefined) spec.memory = resources.memory;
  if (resources.gpus !== undefined) spec.gpus = resources.gpus;
  if (resources.gpuModel !== undefined) spec.gpuModel = resources.gpuModel;
  if (resources.gpuMemory !== undefined) spec.gpuMemory = resources.gpuMemory;
  if (resources.gpuUuids !== undefined) spec.gpuUuids = resources.gpuUuids;
  if (doc.env !== undefined) spec.env = doc.env;
  if (doc.command !== undefined) spec.command = doc.command;
  if (idle.timeout !== undefined) spec.idleTimeout = idle.timeout;
  if (idle.attachedGrace !== undefined) spec.attachedGrace = idle.attachedGrace;
  if (idle.maxLifetime !== undefined) spec.maxLifetime = idle.maxLifetime;
  if (doc.timezone !== undefined) spec.timezone = doc.timezone;
  if (doc.user !== undefined) spec.user = doc.user;
  if (doc.docker !== undefined) spec.docker = doc.docker;
  if (doc.secrets !== undefined) spec.secrets = doc.secrets;
  if (doc.clone !== undefined) spec.clone = doc.clone;
  if (doc.ports !== undefined) spec.forwardPorts = doc.ports;
  if (doc.volumes !== undefined) spec.volumes = doc.volumes;
  return spec;
}

/** Where each spec field sits in the document, for error positions and the change list. */
export const DOCUMENT_PATH: Record<string, (string | number)[]> = {
  name: ['name'],
  description: ['description'],
  image: ['image'],
  cpus: ['resources', 'cpus'],
  memory: ['resources', 'memory'],
  gpus: ['resources', 'gpus'],
  gpuModel: ['resources', 'gpuModel'],
  gpuMemory: ['resources', 'gpuMemory'],
  gpuUuids: ['resources', 'gpuUuids'],
  env: ['env'],
  command: ['command'],
  idleTimeout: ['idle', 'timeout'],
  attachedGrace: ['idle', 'attachedGrace'],
  maxLifetime: ['idle', 'maxLifetime'],
  timezone: ['timezone'],
  user: ['user'],
  docker: ['docker'],
  secrets: ['secrets'],
  build: ['build'],
  clone: ['clone'],
  forwardPorts: ['ports'],
  volumes: ['volumes'],
};
