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
export const NOT_YET: Record<string, string> = {
  ports: 'ports are not supported in workspace.yaml yet; leave them out',
  volumes: 'volumes are not supported in workspace.yaml yet; keep data in the home directory',
};

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
};
