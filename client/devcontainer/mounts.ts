import { VolumeName, targetProblem, type WorkspaceVolume } from '../../protocol';
import type { JsoncDocument } from './jsonc';

type Report = (at: string, message: string) => void;
type Text = (raw: unknown, at: (string | number)[], what: string) => string | undefined;

/** A mount as the definition gives it, either form, before its fields are checked. */
interface RawMount {
  type?: string;
  source?: string;
  target?: string;
  readOnly: boolean;
}

/** Keys of Docker's `--mount` form that change nothing in a workspace (macOS file sharing, SELinux labels). */
const HARMLESS = new Set(['consistency', 'bind-propagation', 'volume-nocopy']);

/**
 * `mounts` of a devcontainer.json as the spec's volumes: each entry in the string form of Docker's
 * `--mount` (`source=data,target=/data,type=volume[,readonly]`) or the object form (`{ "source",
 * "target", "type" }`). A `volume` becomes a named volume of the workspace's owner; a `bind` one
 * of a host path, which the agent mounts only from folders its admin allow-lists; any other type
 * is refused, as is a bind of `${localWorkspaceFolder}` (the folder is on the user's machine, not
 * on the host). Undefined when the definition has no mounts.
 */
export function readMounts(doc: JsoncDocument, text: Text, refuse: Report): WorkspaceVolume[] | undefined {
  const raw = doc.value.mounts;
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    refuse(
      doc.at(['mounts']),
      'mounts must be a list of "source=…,target=…,type=volume" strings or { source, target, type } objects',
    );
    return undefined;
  }
  const volumes: WorkspaceVolume[] = [];
  raw.forEach((entry: unknown, index) => {
    const at = doc.at(['mounts', index]);
    const what = `mounts[${index}]`;
    if (typeof entry === 'string' && /\$\{localWorkspaceFolder/.test(entry)) {
      return refuse(
        at,
        `${what}: \${localWorkspaceFolder} is the folder on your machine, which is not on the host: Berth cannot bind it; remove the mount (clone the repository into the home instead)`,
      );
    }
    const resolved = typeof entry === 'string' ? text(entry, ['mounts', index], what) : entry;
    if (resolved === undefined) return;
    const mount = typeof resolved === 'string' ? parseMountString(resolved) : parseMountObject(resolved, text, index);
    if (typeof mount === 'string') return refuse(at, `${what}: ${mount}`);
    const volume = toVolume(mount);
    if (typeof volume === 'string') return refuse(at, `${what}: ${volume}`);
    volumes.push(volume);
  });
  return volumes;
}

/** Docker's `--mount` string: `key=value` pairs by ","; `readonly`/`ro` alone or `=true|false|1|0`. */
function parseMountString(text: string): RawMount | string {
  const mount: RawMount = { readOnly: false };
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : part.slice(eq + 1).trim();
    if (value?.startsWith('"') || value?.startsWith("'")) return `quoted values are not supported: ${part}`;
    if (key === 'type') mount.type = value;
    else if (key === 'source' || key === 'src') mount.source = value;
    else if (key === 'target' || key === 'destination' || key === 'dst') mount.target = value;
    else if (key === 'readonly' || key === 'ro') {
      if (value !== undefined && !['true', 'false', '1', '0'].includes(value)) {
        return `${key}=${value}: expected true or false`;
      }
      mount.readOnly = value === undefined || value === 'true' || value === '1';
    } else if (!HARMLESS.has(key)) return `"${key}" is not supported (Berth takes type, source, target and readonly)`;
  }
  return mount;
}

/** The object form: `type`, `source`, `target` (strings; variables resolved), nothing else. */
function parseMountObject(value: unknown, text: Text, index: number): RawMount | string {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return 'must be a "source=…,target=…,type=volume" string or a { source, target, type } object';
  }
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).find((key) => !['type', 'source', 'target'].includes(key));
  if (unknown) return `"${unknown}" is not supported (the object form has type, source and target)`;
  if (typeof fields.source === 'string' && fields.source.includes('${localWorkspaceFolder')) {
    return '${localWorkspaceFolder} is the folder on your machine, which is not on the host: Berth cannot bind it; remove the mount (clone the repository into the home instead)';
  }
  const field = (key: 'type' | 'source' | 'target') =>
    fields[key] === undefined ? undefined : text(fields[key], ['mounts', index, key], `mounts[${index}].${key}`);
  return { type: field('type'), source: field('source'), target: field('target'), readOnly: false };
}

/** A checked mount as a spec volume, or why it cannot be one. */
function toVolume(mount: RawMount): WorkspaceVolume | string {
  const type = mount.type ?? 'volume';
  if (type !== 'volume' && type !== 'bind') {
    return `type=${type}: not supported: Berth mounts named volumes (type=volume) and host folders its admin allows (type=bind)`;
  }
  if (mount.target === undefined) return 'has no target (the path in the container)';
  const problem = targetProblem(mount.target);
  if (problem) return `target ${mount.target} ${problem}`;
  const readOnly = mount.readOnly ? { readOnly: true } : {};
  if (!mount.source) {
    return 'has no source: an anonymous volume would be lost at every rebuild; give it a name (source=NAME)';
  }
  if (type === 'bind') {
    if (!mount.source.startsWith('/')) return `source ${mount.source}: a bind needs an absolute path on the host`;
    return { bind: mount.source, target: mount.target, ...readOnly };
  }
  const name = VolumeName.safeParse(mount.source);
  if (!name.success) return `source ${mount.source} ${name.error.issues[0]?.message ?? 'is not a volume name'}`;
  return { name: name.data, target: mount.target, ...readOnly };
}
