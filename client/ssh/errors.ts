import type { ErrorCode } from '../../protocol';

/**
 * An error of the SSH code with a protocol error code. The SSH code is bundled apart (dist/remote.js)
 * without the protocol's zod schemas; RemoteHost turns these into BerthErrors.
 */
export class RemoteError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}
