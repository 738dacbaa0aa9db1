import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { BerthError } from '../../protocol';
import { runtimeError } from './docker-errors';

/** The container, or a `runtime_error` saying it is gone. */
function present(container: Docker.Container | undefined): Docker.Container {
  if (!container) throw new BerthError('runtime_error', 'Docker has no container for this workspace: it is gone');
  return container;
}

/**
 * Docker's tar stream of `path` in the container (running or not; its volumes included): numeric
 * owners, modes, links and times as they are.
 */
export async function readArchive(container: Docker.Container | undefined, path: string): Promise<Readable> {
  try {
    return (await present(container).getArchive({ path })) as Readable;
  } catch (err) {
    throw runtimeError(`read ${path} from the container`, err);
  }
}

/** Unpacks the tar `stream` at `path` in the container (its volumes included); resolves once Docker is done. */
export async function writeArchive(
  container: Docker.Container | undefined,
  path: string,
  stream: Readable,
): Promise<void> {
  try {
    await present(container).putArchive(stream, { path });
  } catch (err) {
    throw runtimeError(`write into ${path} in the container`, err);
  }
}
