// What each step of the create wizard offers and refuses, free of `vscode` (unit-tested).
import { ImageRef, WorkspaceSpec, type HostInfo } from '../../../protocol';
import { imageRegistry, pullAllowed } from '../../../protocol/image-registry';
import { memoryLabel } from '../../wording/sizes';
import { gpusOfModel } from './answers';
import { cloneTarget, type FolderRemote } from './git-remote';

/**
 * An item of a step's list. One with a `problem` stands for what the user typed and cannot be
 * taken: the list shows why, as they type.
 */
export interface Choice<T> {
  label: string;
  description?: string;
  detail?: string;
  value: T;
  problem?: string;
  /** Shown whatever the filter (the item that stands for what was typed). */
  alwaysShow?: boolean;
}

/** `berth-workspace` → `berth-workspace:latest`, `docker.io/library/debian:12` → `debian:12`: as Docker lists it. */
export function listedForm(ref: string): string {
  let name = ref.replace(/^(?:docker\.io|index\.docker\.io)\/(?:library\/)?/, '');
  if (!name.includes('@') && !name.slice(name.lastIndexOf('/') + 1).includes(':')) name += ':latest';
  return name;
}

/**
 * Why `ref` cannot be the image, or null: the protocol's own message for a malformed reference; one
 * that is not among the host's `images` (null: the host did not say) is refused too, unless its
 * registry is one the agent pulls from (`pullRegistries`, `berth serve --allow-pull`). A reference by
 * digest is left to the agent, which knows the digests.
 */
export function imageProblem(
  ref: string,
  images: readonly string[] | null,
  pullRegistries: readonly string[] = [],
): string | null {
  if (!ref.trim()) return 'Give an image, such as berth-workspace:latest';
  const parsed = ImageRef.safeParse(ref);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? 'is not an image reference';
    // The protocol's reasons either go on from the reference ("has…", "is…") or stand alone.
    return /^(is|has|contains|does)\b/.test(message)
      ? `"${ref}" ${message}`
      : `${message.charAt(0).toUpperCase()}${message.slice(1)}`;
  }
  if (!images || ref.includes('@') || images.includes(listedForm(ref)) || pullAllowed(ref, pullRegistries)) {
    return null;
  }
  const pulls = pullRegistries.length
    ? `this host pulls only from ${pullRegistries.join(', ')}`
    : 'Berth does not pull images';
  return `${ref} is not on this host, and ${pulls}; pick one of the host's images`;
}

/**
 * The image step's list: what was typed (with its problem, if any, or the registry it will be pulled
 * from), then the host's images.
 */
export function imageChoices(
  typed: string,
  images: readonly string[] | null,
  defaultImage: string,
  pullRegistries: readonly string[] = [],
): Choice<string>[] {
  // The default first, then the rest as the host lists them.
  const names = images
    ? [...images.filter((i) => i === defaultImage), ...images.filter((i) => i !== defaultImage)]
    : [defaultImage];
  const listed = names.map((image) => ({
    label: image,
    description: image === defaultImage ? 'host default' : undefined,
    value: image,
  }));
  const value = typed.trim();
  if (!value || listed.some((item) => item.value === value)) return listed;
  const problem = imageProblem(value, images, pullRegistries) ?? undefined;
  const pulled = images && !images.includes(listedForm(value)) && pullAllowed(value, pullRegistries);
  const typedItem: Choice<string> = problem
    ? { label: `$(error) ${value}`, detail: problem, value, problem, alwaysShow: true }
    : {
        label: value,
        description: pulled ? `as typed: pulled from ${imageRegistry(value)} on create` : 'as typed',
        value,
        alwaysShow: true,
      };
  return [typedItem, ...listed];
}

/** A CPU count as typed (`3`, `1.5`), checked with the spec's limits and the host's CPUs. */
export function parseCpus(text: string, info: HostInfo): { value: number } | { problem: string } {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(trimmed)) {
    return { problem: `"${trimmed}" is not a number of CPUs, such as 2 or 1.5` };
  }
  const value = Number(trimmed);
  // The host's count first: it is the tighter limit, and the schema's maximum has no words of its own.
  if (value > info.cpus) return { problem: `This host has ${info.cpus} CPUs; ask for at most ${info.cpus}` };
  const parsed = WorkspaceSpec.shape.cpus.safeParse(value);
  if (!parsed.success) return { problem: `CPUs ${parsed.error.issues[0]?.message ?? 'are out of range'}` };
  return { value };
}

const UNITS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Memory as typed (`6g`, `512m`, `1.5 GiB`), checked with the spec's limits and the host's memory. */
export function parseMemory(text: string, info: HostInfo): { value: number } | { problem: string } {
  const trimmed = text.trim();
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt])(?:i?b)?$/i.exec(trimmed);
  if (!match) {
    return /^\d+(\.\d+)?$/.test(trimmed)
      ? { problem: `Give a unit: ${trimmed}g, ${trimmed}m or ${trimmed} GiB` }
      : { problem: `"${trimmed}" is not a size, such as 6g, 512m or 1.5 GiB` };
  }
  const value = Math.round(Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] ?? 1));
  const parsed = WorkspaceSpec.shape.memory.safeParse(value);
  if (!parsed.success) return { problem: `Memory ${parsed.error.issues[0]?.message ?? 'is out of range'}` };
  if (value > info.memory) {
    return { problem: `This host has ${memoryLabel(info.memory)} of memory; ask for at most that` };
  }
  return { value };
}

/**
 * A resource step's list: the host default (with its number), presets that fit the host, and what
 * was typed when it is none of them.
 */
function resourceChoices(
  typed: string,
  presets: number[],
  label: (n: number) => string,
  parse: (text: string) => { value: number } | { problem: string },
  hostDefault: number | undefined,
): Choice<number | null>[] {
  const items: Choice<number | null>[] = presets.map((n) => ({ label: label(n), value: n }));
  if (hostDefault !== undefined) items.unshift({ label: 'Host default', description: label(hostDefault), value: null });
  const value = typed.trim();
  if (!value) return items;
  const parsed = parse(value);
  if ('problem' in parsed) {
    return [
      { label: `$(error) ${value}`, detail: parsed.problem, value: null, problem: parsed.problem, alwaysShow: true },
    ];
  }
  if (presets.includes(parsed.value)) return items;
  return [{ label: label(parsed.value), description: 'as typed', value: parsed.value, alwaysShow: true }, ...items];
}

/** `1 CPU`, `2.5 CPUs`. */
export const cpuLabel = (n: number) => `${n} CPU${n === 1 ? '' : 's'}`;

/** The CPU step's list for what was typed. */
export function cpuChoices(typed: string, info: HostInfo): Choice<number | null>[] {
  const presets = [1, 2, 4, 8, 16, 32, 64].filter((n) => n <= info.cpus);
  return resourceChoices(typed, presets, cpuLabel, (text) => parseCpus(text, info), info.defaults?.cpus);
}

/** The memory step's list for what was typed. */
export function memoryChoices(typed: string, info: HostInfo): Choice<number | null>[] {
  const presets = [1, 2, 4, 8, 16, 32, 64, 128].map((n) => n * 1024 ** 3).filter((bytes) => bytes <= info.memory);
  return resourceChoices(typed, presets, memoryLabel, (text) => parseMemory(text, info), info.defaults?.memory);
}

/** `after 1 h 30 min`, `after 45 min`, `never` for 0. */
export function idleWords(seconds: number): string {
  if (seconds === 0) return 'never';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `after ${minutes} min`;
  return `after ${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

/** The idle step's list: the host default with its value, and what the admin's cap allows. */
export function idleChoices(info: HostInfo): Choice<number | null>[] {
  const cap = info.defaults?.idleMax ?? 0;
  const presets: [number, string][] = [
    [1800, 'After 30 minutes'],
    [7200, 'After 2 hours'],
    [28800, 'After 8 hours'],
    [0, 'Never'],
  ];
  return [
    {
      label: 'Host default',
      description: info.defaults ? idleWords(info.defaults.idleTimeout) : "the host's setting",
      value: null,
    },
    ...presets.filter(([s]) => !cap || (s > 0 && s <= cap)).map(([value, label]) => ({ label, value })),
  ];
}

/** The GPU model step's list: any model, or one of the host's, each with how many are free. */
export function gpuModelChoices(info: HostInfo, models: string[]): Choice<string | null>[] {
  const free = (model: string | null) => {
    const gpus = gpusOfModel(info, model);
    return `${gpus.filter((gpu) => gpu.free > 0).length} of ${gpus.length} free`;
  };
  return [
    { label: 'Any model', description: free(null), value: null },
    ...models.map((model) => ({ label: model, description: free(model), value: model })),
  ];
}

/** The repository step's list: clone the open folder's remote (on its branch), or not. */
export function cloneChoices(remote: FolderRemote): Choice<{ url: string; branch?: string } | null>[] {
  const { url, branch } = remote;
  return [
    {
      label: `$(repo-clone) Clone ${url} into the workspace`,
      description: branch ? `branch ${branch}` : "the remote's default branch",
      detail: `The open folder's remote, cloned into ${cloneTarget(url)} at the workspace's first start`,
      value: branch ? { url, branch } : { url },
    },
    { label: "Don't clone", description: 'the workspace starts without it', value: null },
  ];
}

/** The clone credentials step's list: none, or one of the user's secrets (names only, never values). */
export function cloneSecretChoices(url: string, secrets: readonly string[]): Choice<string | null>[] {
  return [
    { label: 'No secret', description: 'the repository needs no credentials', value: null },
    ...secrets.map((name) => ({
      label: `$(key) ${name}`,
      description: /^https?:/i.test(url) ? 'a token for HTTPS' : 'a private key for SSH, or a token for HTTPS',
      value: name,
    })),
  ];
}

/**
 * Which item to make active: what was typed when it can be taken, else the first item that holds
 * the typed text, else the previous answer, else the first.
 */
export function activeIndex<T>(choices: Choice<T>[], typed: string, previous?: T): number {
  const text = typed.trim().toLowerCase();
  if (text) {
    const typedItem = choices.findIndex((choice) => choice.alwaysShow && !choice.problem);
    if (typedItem >= 0) return typedItem;
    const holding = choices.findIndex((choice) => !choice.problem && choice.label.toLowerCase().includes(text));
    return Math.max(0, holding);
  }
  return Math.max(
    0,
    choices.findIndex((choice) => previous !== undefined && choice.value === previous),
  );
}
