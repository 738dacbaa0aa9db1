import type { HostInfo, Workspace } from '../../protocol';
import { pullAllowed } from '../../protocol/image-registry';
import { formatSize } from './progress';
import type { AgentClient } from '../agent-client';

/** What a move (`berth move`, the extension's Move to Host…) learns of the target host before any byte moves. */
export interface TargetView {
  /** The target's name, as the user knows it (the CLI's config, the extension's host label). */
  host: string;
  info: HostInfo;
  /** `host.images` there. */
  images: string[];
  /** The caller's workspaces there. */
  workspaces: Workspace[];
}

/**
 * Why the target cannot take `ws` (as `owner`), or null: the user there is another, the name is taken,
 * no SSH port, CPUs, memory or GPUs short, Docker-in-Docker not allowed, the image absent, the disk
 * quota exceeded. Checked before the source is stopped, so a refusal changes nothing anywhere.
 */
export function targetRefusal(ws: Workspace, owner: string, target: TargetView): string | null {
  const { host, info, images, workspaces } = target;
  const spec = ws.spec;
  if (info.user.name !== owner) {
    return `"${ws.name}" is ${owner}'s, but your token on host "${host}" is ${info.user.name}'s: a workspace moves only between hosts where it has the same owner (save a token of ${owner}'s for "${host}")`;
  }
  if (workspaces.some((other) => other.name === ws.name && other.owner === owner)) {
    return `host "${host}" already has a workspace called "${ws.name}" of ${owner}'s; rename or delete that one first`;
  }
  const ports = info.sshPorts;
  if (ports.used >= ports.last - ports.first + 1) {
    return `host "${host}" has no free SSH port (${ports.used} of ${ports.first}-${ports.last} in use)`;
  }
  if (spec.cpus > info.cpus) return `"${ws.name}" asks for ${spec.cpus} CPUs; host "${host}" has ${info.cpus}`;
  if (spec.memory > info.memory) {
    return `"${ws.name}" asks for ${formatSize(spec.memory)} of memory; host "${host}" has ${formatSize(info.memory)}`;
  }
  if (spec.gpus > info.gpus.length) {
    return `"${ws.name}" asks for ${spec.gpus} GPUs; host "${host}" has ${info.gpus.length}`;
  }
  if (spec.docker && !info.dockerInDocker) {
    return `"${ws.name}" runs Docker inside; host "${host}" does not allow it (berth serve --allow-docker there)`;
  }
  // One the target's agent pulls (berth serve --allow-pull there) is pulled as it comes up.
  if (!spec.image.includes('@') && !pullAllowed(spec.image, info.pullRegistries ?? [])) {
    const tagged = /:[^/]+$/.test(spec.image) ? spec.image : `${spec.image}:latest`;
    if (!images.includes(tagged)) {
      return `the image ${spec.image} is not on host "${host}"; pull or build it there first`;
    }
  }
  const disk = info.disk?.users.find((use) => use.user === owner);
  const home = ws.disk?.home ?? 0;
  if (disk && disk.quota !== null && disk.bytes + home > disk.quota) {
    return `the home (${formatSize(home)}) would take ${owner}'s disk use on host "${host}" past its quota (${formatSize(disk.bytes)} of ${formatSize(disk.quota)} used)`;
  }
  return null;
}

/** Asks `target` (the agent there, known to the user as `host`) what {@link targetRefusal} looks at. */
export async function viewTarget(target: AgentClient, host: string): Promise<TargetView> {
  const [info, { images }, { workspaces }] = await Promise.all([
    target.request('host.info', {}),
    target.request('host.images', {}),
    target.request('workspace.list', {}),
  ]);
  return { host, info, images, workspaces };
}
