import * as path from 'node:path';
import { SshUser, type WorkspaceSpecInput } from '../../protocol';
import { readLifecycle, readPorts } from './commands';
import type { JsoncDocument } from './jsonc';
import type { Located } from './locate';
import { readMounts } from './mounts';
import { IGNORED, REFUSED, TRANSLATED } from './properties';
import { readRequirements, type Requirements } from './requirements';
import { devcontainerId, substitute, VariableProblem, type VariableContext } from './variables';
import type { FeaturesInput } from '../build-send';
import { readFeatures } from './features';

/** What `build` asks for, for the host's image builder: paths absolute, the Dockerfile relative to the context. */
export interface BuildRequest {
  contextDir: string;
  dockerfile?: string;
  args?: Record<string, string>;
  target?: string;
  /** Devcontainer features to install on top (the definition's `image` is then their base). */
  features?: FeaturesInput;
}

/** A definition translated into a create request, with everything Berth refused or left aside. */
export interface Translation {
  /** The spec fields the definition gives (the CLI's flags override them). */
  spec: Omit<WorkspaceSpecInput, 'name'>;
  /** Set when the definition builds its image (`build`, or the older `dockerFile`). */
  build?: BuildRequest;
  /** What `hostRequirements` asks of the host (checked against host.info before creating). */
  requirements: Requirements;
  /** `file:line:col: property: why` for each property refused; any one stops the create. */
  refusals: string[];
  /** `file:line:col: property: ignored: why` for each property left aside. */
  warnings: string[];
}

/** Who the definition is translated for: the workspace's name and this machine's environment. */
export interface TranslateContext {
  name: string;
  located: Located;
  env: NodeJS.ProcessEnv;
}

/** The workspace user when the definition names none: the agent's default. */
const DEFAULT_USER = 'dev';

/** Translates a parsed devcontainer.json (see the README's devcontainer.json section for the mapping). */
export function translate(doc: JsoncDocument, ctx: TranslateContext): Translation {
  const refusals: string[] = [];
  const warnings: string[] = [];
  const refuse = (at: string, message: string) => refusals.push(`${at}: ${message}`);
  const warn = (at: string, message: string) => warnings.push(`${at}: ${message}`);
  const value = doc.value;
  const spec: Translation['spec'] = { devcontainer: ctx.located.file };
  const out: Translation = { spec, requirements: {}, refusals, warnings };

  for (const [key, raw] of Object.entries(value)) {
    if (TRANSLATED.has(key) || (key === 'privileged' && raw === false)) continue;
    const empty = (Array.isArray(raw) && !raw.length) || (raw && typeof raw === 'object' && !Object.keys(raw).length);
    if (Object.hasOwn(REFUSED, key)) {
      if (!(empty && key === 'features')) {
        refuse(doc.at([key]), `${key}: refused: ${REFUSED[key]}`);
      }
    } else if (Object.hasOwn(IGNORED, key)) warn(doc.at([key]), `${key}: ignored: ${IGNORED[key]}`);
    else warn(doc.at([key]), `${key}: unknown property, ignored`);
  }

  const user = readUser(doc, refuse, warn);
  if (user) spec.user = user;
  const vars: VariableContext = {
    localWorkspaceFolder: ctx.located.workspaceFolder,
    containerWorkspaceFolder: `/home/${user ?? DEFAULT_USER}`,
    devcontainerId: devcontainerId(ctx.name, ctx.located.file),
    env: ctx.env,
  };
  const text = (raw: unknown, at: (string | number)[], what: string): string | undefined => {
    if (typeof raw !== 'string') {
      refuse(doc.at(at), `${what} must be a string`);
      return undefined;
    }
    try {
      return substitute(raw, vars, 'refuse');
    } catch (err) {
      if (!(err instanceof VariableProblem)) throw err;
      refuse(doc.at(at), `${what}: ${err.message}`);
      return undefined;
    }
  };

  const env = readEnv(doc, text, refuse);
  if (env) spec.env = env;
  readImage(doc, ctx, out, text, refuse, warn);
  readFeatures(doc, out, user ?? DEFAULT_USER, text, refuse);
  out.requirements = readRequirements(doc, refuse, warn);
  const { cpus, memory, gpus } = out.requirements;
  if (cpus) spec.cpus = cpus.value;
  if (memory) spec.memory = memory.value;
  if (gpus) {
    spec.gpus = gpus.count;
    if (gpus.optional) spec.gpusOptional = true;
    if (gpus.memory) spec.gpuMemory = gpus.memory;
  }
  const ports = readPorts(doc, refuse, warn);
  if (ports?.length) spec.forwardPorts = ports;
  const lifecycle = readLifecycle(doc, vars, refuse);
  if (lifecycle) spec.lifecycle = lifecycle;
  const volumes = readMounts(doc, text, refuse);
  if (volumes?.length) spec.volumes = volumes;
  return out;
}

type Report = (at: string, message: string) => void;
type Text = (raw: unknown, at: (string | number)[], what: string) => string | undefined;

/** `remoteUser`, else `containerUser`: Berth has one user, who logs in and runs the commands. */
function readUser(doc: JsoncDocument, refuse: Report, warn: Report): string | undefined {
  const { remoteUser, containerUser } = doc.value;
  const chosen = remoteUser ?? containerUser;
  const key = remoteUser !== undefined ? 'remoteUser' : 'containerUser';
  if (chosen === undefined) return undefined;
  if (remoteUser !== undefined && containerUser !== undefined && remoteUser !== containerUser) {
    warn(
      doc.at(['containerUser']),
      `containerUser: ignored: Berth runs the workspace as one user, remoteUser ${JSON.stringify(remoteUser)}`,
    );
  }
  if (chosen === 'root') {
    refuse(
      doc.at([key]),
      `${key}: refused: "root": workspaces log in as an unprivileged user who has sudo; name another user, or remove it for the default (dev)`,
    );
    return undefined;
  }
  const parsed = SshUser.safeParse(chosen);
  if (parsed.success) return parsed.data;
  refuse(doc.at([key]), `${key}: ${JSON.stringify(chosen)} ${parsed.error.issues[0]?.message ?? 'is not a user name'}`);
  return undefined;
}

/** `containerEnv`, then `remoteEnv` over it (a null in remoteEnv removes a variable). */
function readEnv(doc: JsoncDocument, text: Text, refuse: Report): Record<string, string> | undefined {
  const env: Record<string, string> = {};
  let any = false;
  for (const key of ['containerEnv', 'remoteEnv'] as const) {
    const raw = doc.value[key];
    if (raw === undefined) continue;
    any = true;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      refuse(doc.at([key]), `${key} must be an object of NAME: "value"`);
      continue;
    }
    for (const [name, value] of Object.entries(raw)) {
      if (key === 'remoteEnv' && value === null) {
        delete env[name];
        continue;
      }
      const resolved = text(value, [key, name], `${key}.${name}`);
      if (resolved !== undefined) env[name] = resolved;
    }
  }
  return any ? env : undefined;
}

/** `image`, or `build` (and the older top-level `dockerFile`/`context`) as a {@link BuildRequest}. */
function readImage(
  doc: JsoncDocument,
  ctx: TranslateContext,
  out: Translation,
  text: Text,
  refuse: Report,
  warn: Report,
) {
  const { image, build, dockerFile, context } = doc.value;
  const base = path.dirname(ctx.located.file);
  const wantsBuild = build !== undefined || dockerFile !== undefined;
  if (image !== undefined && wantsBuild) {
    warn(doc.at(['image']), 'image: ignored: the definition builds its image (build)');
  } else if (image !== undefined) {
    const ref = text(image, ['image'], 'image');
    if (ref) out.spec.image = ref;
  }
  if (!wantsBuild) return;
  const b = build === undefined ? { dockerfile: dockerFile, context } : build;
  if (!b || typeof b !== 'object' || Array.isArray(b)) {
    return void refuse(doc.at(['build']), 'build must be an object such as { "dockerfile": "Dockerfile" }');
  }
  const fields = b as Record<string, unknown>;
  const where = build === undefined ? [] : ['build'];
  for (const key of Object.keys(fields)) {
    if (!['dockerfile', 'context', 'args', 'target'].includes(key)) {
      warn(doc.at([...where, key]), `build.${key}: ignored: not supported`);
    }
  }
  const contextRel = fields.context === undefined ? '.' : text(fields.context, [...where, 'context'], 'build.context');
  const dockerfileRel =
    fields.dockerfile === undefined ? undefined : text(fields.dockerfile, [...where, 'dockerfile'], 'build.dockerfile');
  if (contextRel === undefined) return;
  const request: BuildRequest = { contextDir: path.resolve(base, contextRel) };
  if (dockerfileRel !== undefined) {
    const relative = path.relative(request.contextDir, path.resolve(base, dockerfileRel));
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      return void refuse(
        doc.at([...where, 'dockerfile']),
        `build.dockerfile ${dockerfileRel} lies outside build.context ${contextRel}; move it inside, or widen the context`,
      );
    }
    request.dockerfile = relative.split(path.sep).join('/');
  }
  if (fields.args !== undefined) {
    if (!fields.args || typeof fields.args !== 'object' || Array.isArray(fields.args)) {
      return void refuse(doc.at([...where, 'args']), 'build.args must be an object of NAME: "value"');
    }
    request.args = {};
    for (const [name, value] of Object.entries(fields.args)) {
      const resolved = text(value, [...where, 'args', name], `build.args.${name}`);
      if (resolved !== undefined) request.args[name] = resolved;
    }
  }
  if (fields.target !== undefined) {
    const target = text(fields.target, [...where, 'target'], 'build.target');
    if (target !== undefined) request.target = target;
  }
  out.build = request;
}
