import { BerthError } from '../../protocol';
import type { AgentClient } from '../agent-client';
import type { BuildRequest } from './translate';

/** What a build reports while it runs, and how it is cancelled. */
export interface BuildOptions {
  onLog?: (text: string) => void;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

/**
 * The image a definition's `build` makes on the host, to create the workspace from. The one place
 * that turns a {@link BuildRequest} into an image: until Berth builds images on the host
 * (`client/build.ts`), it refuses, saying what to do instead.
 */
export async function imageFromBuild(
  _client: AgentClient,
  request: BuildRequest,
  _options: BuildOptions = {},
): Promise<string> {
  throw new BerthError(
    'invalid_params',
    `build: not yet supported: Berth does not build images on the host yet; build it there (docker build -t NAME${request.dockerfile ? ` -f ${request.dockerfile}` : ''} ${request.contextDir}) and name it with "image" in the definition or --image`,
  );
}
