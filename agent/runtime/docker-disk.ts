import type Docker from 'dockerode';
import { volumeName } from '../state/record';
import { runtimeError } from './docker-errors';
import { LABELS } from './runtime';

/**
 * Bytes used by Berth's homes and container layers, by workspace id, by its named volumes, by Docker
 * volume name, and all together by owner.
 */
export interface DiskUsage {
  homes: Map<string, number>;
  layers: Map<string, number>;
  owners: Map<string, number>;
  volumes: Map<string, number>;
}

/** What `agentId`'s workspaces use of the disk, from one `docker system df`. */
export async function diskUsage(docker: Docker, agentId: string): Promise<DiskUsage> {
  type Labelled = { Labels?: Record<string, string> | null };
  type DockerDiskUsage = {
    Containers?: (Labelled & { SizeRw?: number })[] | null;
    Volumes?: (Labelled & { Name?: string; UsageData?: { Size?: number } | null })[] | null;
  };
  try {
    const df = (await docker.df()) as DockerDiskUsage;
    const ours = (item: Labelled) => item.Labels?.[LABELS.agent] === agentId && item.Labels[LABELS.workspace];
    // A named volume (issue 13) is its owner's whatever workspace mounts it: it counts for them.
    const named = (item: Labelled) =>
      item.Labels?.[LABELS.agent] === agentId && item.Labels[LABELS.volume] !== undefined;
    const owned = (item: Labelled) => ours(item) || named(item);
    const sized = (id: string | false | undefined, size: number | undefined): [string, number][] =>
      id && typeof size === 'number' && size >= 0 ? [[id, size]] : [];
    const owners = new Map<string, number>();
    const count = (item: Labelled, size: number | undefined) => {
      const owner = owned(item) && item.Labels?.[LABELS.owner];
      if (owner && typeof size === 'number' && size >= 0) owners.set(owner, (owners.get(owner) ?? 0) + size);
    };
    for (const volume of df.Volumes ?? []) count(volume, volume.UsageData?.Size);
    for (const container of df.Containers ?? []) count(container, container.SizeRw);
    return {
      homes: new Map(
        (df.Volumes ?? []).flatMap((v) => {
          const id = ours(v);
          // The home only: an inner Docker's volume (same labels) counts for its owner above.
          return id && v.Name === volumeName(id) ? sized(id, v.UsageData?.Size) : [];
        }),
      ),
      layers: new Map((df.Containers ?? []).flatMap((c) => sized(ours(c), c.SizeRw))),
      owners,
      volumes: new Map((df.Volumes ?? []).flatMap((v) => (named(v) ? sized(v.Name, v.UsageData?.Size) : []))),
    };
  } catch (err) {
    throw runtimeError('read the disk usage of Berth containers and volumes', err);
  }
}
