import type Docker from 'dockerode';
import { volumeName } from '../state/record';
import { dockerVolumeName } from './docker-in-docker';
import { runtimeError, statusCode } from './docker-errors';
import { LABELS, type HomeVolume } from './runtime';

/**
 * The home volumes among `volumes` (Docker's listing, already filtered to one agent's label): only
 * those whose name and workspace label agree on a well-formed id, since labels are anyone's text.
 */
export function homeVolumes(volumes: Docker.VolumeInspectInfo[]): HomeVolume[] {
  return volumes.flatMap((volume): HomeVolume[] => {
    const id = volume.Labels?.[LABELS.workspace] ?? '';
    if (!/^[a-f0-9]{12}$/.test(id) || volume.Name !== volumeName(id)) return [];
    const created = (volume as { CreatedAt?: string }).CreatedAt;
    const createdAt = created && !Number.isNaN(Date.parse(created)) ? new Date(created).toISOString() : undefined;
    return [
      { name: volume.Name, id, owner: volume.Labels?.[LABELS.owner], madeFor: volume.Labels?.[LABELS.name], createdAt },
    ];
  });
}

/** Removes workspace `id`'s home volume, and its inner Docker's data volume with it; a missing one is no error. */
export async function removeHomeVolumes(docker: Docker, id: string): Promise<void> {
  // The inner Docker's data (Docker-in-Docker) goes with the home, and only with it.
  const volumes: [string, string][] = [
    [volumeName(id), 'home'],
    [dockerVolumeName(id), 'inner Docker data'],
  ];
  for (const [name, what] of volumes) {
    try {
      await docker.getVolume(encodeURIComponent(name)).remove();
    } catch (err) {
      if (statusCode(err) !== 404) throw runtimeError(`remove the ${what} volume`, err);
    }
  }
}
