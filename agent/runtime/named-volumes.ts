import type Docker from 'dockerode';
import { BerthError, UserName, VolumeName, type WorkspaceSpec } from '../../protocol';
import type { WorkspaceRecord } from '../state/record';
import { runtimeError, statusCode } from './docker-errors';
import { LABELS, type NamedVolumeInfo, type ResolvedBind } from './runtime';

/**
 * The Docker volume of `owner`'s named volume `name` on agent `agentId`: one per agent, owner and
 * name, so two users' `data` never meet (a user name has no ".", which keeps the two parts apart)
 * and two agents of one engine keep theirs apart. Not the workspace's: it outlives every workspace.
 */
export const namedVolumeName = (agentId: string, owner: string, name: string): string =>
  `berth-vol-${agentId}-${owner}.${name}`;

/**
 * The Docker volumes being removed, by engine: a bring-up that would mount one is refused until
 * the remove ends, since Docker would make an unlabelled volume of that name for its container.
 * (`volume.delete` refuses a volume a saved workspace names, and a create saves its workspace
 * before its bring-up: so a delete and a bring-up of one volume overlap only here.)
 */
const removing = new WeakMap<Docker, Set<string>>();

/** The labels a named volume is made with; one found with others is not this owner's. */
function labelsOf(agentId: string, owner: string, name: string): Record<string, string> {
  return { [LABELS.agent]: agentId, [LABELS.owner]: owner, [LABELS.volume]: name };
}

/**
 * Makes the named volumes of `record`'s spec that do not exist yet, labelled (its owner's, this
 * agent's). One of that name made otherwise (by hand, without these labels) is refused rather
 * than mounted: its files are not known to be the owner's.
 */
export async function ensureNamedVolumes(docker: Docker, agentId: string, record: WorkspaceRecord): Promise<void> {
  for (const volume of record.spec.volumes ?? []) {
    if (volume.name === undefined) continue;
    const name = namedVolumeName(agentId, record.owner, volume.name);
    const wanted = labelsOf(agentId, record.owner, volume.name);
    if (removing.get(docker)?.has(name)) {
      throw new BerthError(
        'conflict',
        `volumes: ${record.owner}'s volume ${volume.name} is being deleted (berth volumes rm); try again once that finishes`,
      );
    }
    let labels: Record<string, string> | null = null;
    try {
      labels =
        ((await docker.getVolume(encodeURIComponent(name)).inspect()) as { Labels?: Record<string, string> | null })
          .Labels ?? {};
    } catch (err) {
      if (statusCode(err) !== 404) throw runtimeError(`inspect the volume ${name}`, err);
    }
    if (labels === null) {
      try {
        await docker.createVolume({ Name: name, Labels: wanted });
      } catch (err) {
        throw runtimeError(`create the volume ${volume.name}`, err);
      }
    } else if (Object.entries(wanted).some(([key, value]) => labels[key] !== value)) {
      throw new BerthError(
        'conflict',
        `volumes: the Docker volume ${name} exists but was not made by Berth for ${record.owner}; it is not mounted: ask the host's admin to remove or relabel it, or use another name`,
      );
    }
  }
}

/** The mounts of a spec's volumes: named ones by their Docker volume, binds as resolved. */
export function volumeMounts(
  spec: WorkspaceSpec,
  owner: string,
  agentId: string,
  binds: ResolvedBind[] = [],
): Docker.MountSettings[] {
  const named = (spec.volumes ?? []).flatMap((volume): Docker.MountSettings[] =>
    volume.name === undefined
      ? []
      : [
          {
            Type: 'volume',
            Source: namedVolumeName(agentId, owner, volume.name),
            Target: volume.target,
            ReadOnly: volume.readOnly === true,
          },
        ],
  );
  return [
    ...named,
    ...binds.map((bind): Docker.MountSettings => ({
      Type: 'bind',
      Source: bind.source,
      Target: bind.target,
      ReadOnly: bind.readOnly,
    })),
  ];
}

/** Whether a volume Docker lists is a named volume (not a home, nor an inner Docker's data). */
export const isNamedVolume = (volume: { Labels?: Record<string, string> | null }): boolean =>
  volume.Labels?.[LABELS.volume] !== undefined;

/**
 * The named volumes of agent `agentId` among `volumes` (Docker's listing): only those whose owner and
 * name labels are a user name and a volume name and whose Docker name is the one those make, since
 * labels are anyone's text.
 */
export function namedVolumesOf(volumes: Docker.VolumeInspectInfo[], agentId: string): NamedVolumeInfo[] {
  return volumes.flatMap((volume): NamedVolumeInfo[] => {
    const labels = volume.Labels ?? {};
    const owner = labels[LABELS.owner] ?? '';
    const name = labels[LABELS.volume] ?? '';
    if (labels[LABELS.agent] !== agentId || !UserName.safeParse(owner).success) return [];
    if (!VolumeName.safeParse(name).success || volume.Name !== namedVolumeName(agentId, owner, name)) return [];
    const created = (volume as { CreatedAt?: string }).CreatedAt;
    const createdAt = created && !Number.isNaN(Date.parse(created)) ? new Date(created).toISOString() : undefined;
    return [{ volume: volume.Name, name, owner, createdAt }];
  });
}

/** The named volumes of agent `agentId` on the engine. */
export async function listNamedVolumes(docker: Docker, agentId: string): Promise<NamedVolumeInfo[]> {
  const listed = await docker
    .listVolumes({ filters: { label: [`${LABELS.agent}=${agentId}`, LABELS.volume] } })
    .catch((err: unknown) => {
      throw runtimeError('list the named volumes', err);
    });
  return namedVolumesOf(listed.Volumes ?? [], agentId);
}

/**
 * Removes `owner`'s named volume `name` of agent `agentId`, files and all, when it carries Berth's
 * labels for them (one of that Docker name made otherwise is not known to be theirs and stays);
 * resolves to the Docker volume's name.
 */
export async function removeNamedVolume(docker: Docker, agentId: string, owner: string, name: string): Promise<string> {
  const dockerName = namedVolumeName(agentId, owner, name);
  const volume = docker.getVolume(encodeURIComponent(dockerName));
  const claims = removing.get(docker) ?? new Set<string>();
  removing.set(docker, claims);
  claims.add(dockerName);
  try {
    return await removeLabelled(volume, dockerName, agentId, owner, name);
  } finally {
    claims.delete(dockerName);
  }
}

/** {@link removeNamedVolume} once claimed. */
async function removeLabelled(
  volume: Docker.Volume,
  dockerName: string,
  agentId: string,
  owner: string,
  name: string,
): Promise<string> {
  let labels: Record<string, string>;
  try {
    labels = ((await volume.inspect()) as { Labels?: Record<string, string> | null }).Labels ?? {};
  } catch (err) {
    if (statusCode(err) === 404) throw noVolume(owner, name);
    throw runtimeError(`inspect the volume ${name}`, err);
  }
  if (Object.entries(labelsOf(agentId, owner, name)).some(([key, value]) => labels[key] !== value)) {
    throw new BerthError(
      'conflict',
      `the Docker volume ${dockerName} was not made by Berth for ${owner}; it is left alone (an admin can remove it with docker volume rm)`,
    );
  }
  try {
    await volume.remove();
  } catch (err) {
    if (statusCode(err) === 404) throw noVolume(owner, name);
    if (statusCode(err) === 409) {
      throw new BerthError(
        'conflict',
        `volume ${name} is still mounted by a container (${runtimeError('remove it', err).message}); nothing deleted`,
      );
    }
    throw runtimeError(`remove the volume ${name}`, err);
  }
  return dockerName;
}

/** The refusal of a named volume that does not exist. */
const noVolume = (owner: string, name: string): BerthError =>
  new BerthError('not_found', `${owner} has no named volume "${name}" on this host; list them with: berth volumes ls`);
