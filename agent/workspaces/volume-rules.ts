import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import { BerthError, pathWithin, type WorkspaceSpec } from '../../protocol';
import type { AgentConfig, AllowedBind } from '../config';
import type { ResolvedBind } from '../runtime/runtime';
import { requireDockerAllowed } from './docker-rule';

/**
 * Why the spec's volumes cannot be mounted beside its home (undefined: they can): a target at,
 * inside or above `/home/<user>` would cover the home or mix another volume's files into it (and
 * into its backups). The home is kept across stops and rebuilds already.
 */
export function volumeHomeProblem(spec: Pick<WorkspaceSpec, 'user' | 'volumes'>): string | undefined {
  const home = `/home/${spec.user}`;
  const index = (spec.volumes ?? []).findIndex(
    (volume) => pathWithin(volume.target, home) || pathWithin(home, volume.target),
  );
  if (index < 0) return undefined;
  return `volumes.${index}.target: ${spec.volumes?.[index]?.target} must not cover, lie in or lie above the home ${home} (kept across stops and rebuilds already); mount it elsewhere, such as /data`;
}

/** How the agent's allow-list reads in a refusal. */
function allowed(binds: readonly AllowedBind[]): string {
  if (!binds.length) {
    return 'this host allows no host folders to be bound; its admin may allow some (berth serve --allow-bind PATH[:ro])';
  }
  return `this host allows binds only from ${binds.map((bind) => `${bind.path}${bind.readOnly ? ' (read-only)' : ''}`).join(', ')}`;
}

/**
 * The spec's binds as they are mounted: each source with its links resolved, refused (`forbidden`)
 * unless it lies in a folder the admin allow-listed (`berth serve --allow-bind`), read-only when
 * that folder is, or the spec says so. The given path is checked before the host's file system is
 * looked at, so that a refusal tells nothing about paths outside the list; then its real path again
 * (a link inside an allowed folder may point anywhere).
 */
export function resolveBinds(
  config: Pick<AgentConfig, 'allowBinds'>,
  spec: Pick<WorkspaceSpec, 'volumes'>,
): ResolvedBind[] {
  const roots = config.allowBinds ?? [];
  return (spec.volumes ?? []).flatMap((volume, index): ResolvedBind[] => {
    if (volume.bind === undefined) return [];
    const given = path.resolve(volume.bind);
    const where = `volumes.${index}.bind: ${volume.bind}`;
    if (!roots.some((root) => pathWithin(given, root.path))) {
      throw new BerthError('forbidden', `${where}: ${allowed(roots)}`);
    }
    let real: string;
    try {
      real = realpathSync(given);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new BerthError(
        'invalid_params',
        `${where}: ${code === 'ENOENT' ? 'does not exist on the host' : `cannot be read on the host (${code ?? String(err)})`}; ask the host's admin for the right path`,
      );
    }
    const root = roots.find((candidate) => pathWithin(real, candidate.path));
    if (!root) throw new BerthError('forbidden', `${where}: leads to ${real} (through a link); ${allowed(roots)}`);
    return [{ source: real, target: volume.target, readOnly: root.readOnly || volume.readOnly === true }];
  });
}

/**
 * What the host's admin must allow for `owner`'s `spec`: Docker inside (`--allow-docker`, `--allow-docker-for`) and each host bind
 * (`--allow-bind`). Checked at create, update, start, restart and unarchive, so that a withdrawn
 * allowance stops new runs too.
 */
export function requireHostAllows(
  config: Pick<AgentConfig, 'allowDocker' | 'allowDockerFor' | 'allowBinds'>,
  spec: WorkspaceSpec,
  owner: string,
): void {
  requireDockerAllowed(config, spec, owner);
  resolveBinds(config, spec);
}

/**
 * `--allow-bind PATH[:ro]` as the agent keeps it: absolute, its links resolved (it must exist), so
 * that a bind is compared with the folder it really is. `invalid` words an error for the flag.
 */
export function allowedBind(text: string, invalid: (why: string) => Error): AllowedBind {
  const readOnly = text.endsWith(':ro');
  const given = readOnly ? text.slice(0, -3) : text.replace(/:rw$/, '');
  if (!path.isAbsolute(given)) {
    throw invalid('expected an absolute host path, such as /srv/datasets or /srv/datasets:ro');
  }
  try {
    return { path: realpathSync(path.resolve(given)), readOnly };
  } catch (err) {
    throw invalid(
      `${given} cannot be resolved (${(err as NodeJS.ErrnoException).code ?? String(err)}); give a folder that exists`,
    );
  }
}
