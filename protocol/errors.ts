import { z } from 'zod';

/**
 * Named error codes of the protocol. Clients branch on the code, people read the message: every
 * message says what is wrong and what to do about it.
 */
export const ERROR_CODES = [
  'bad_frame', // not JSON, or not a frame of this protocol
  'frame_too_large', // bigger than MAX_FRAME_BYTES
  'unsupported_version', // handshake with another protocol version
  'unknown_method',
  'invalid_params',
  'unauthorized', // no or wrong token
  'forbidden', // authenticated, but not allowed to do this
  'not_found',
  'already_exists',
  'conflict', // another operation on the same workspace is running, or the state does not allow it
  'no_capacity', // SSH ports, GPUs or other host resources exhausted
  'image_not_found',
  'runtime_error', // Docker refused or failed
  'timeout',
  'cancelled',
  'internal',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The `error` member of a failed reply. */
export const ErrorBody = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  data: z.unknown().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** An error that travels over the wire: thrown by handlers, rethrown by clients. */
export class BerthError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'BerthError';
  }

  /** The wire form of this error. */
  toBody(): ErrorBody {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** Renders zod issues as one line, e.g. `name: must start with a letter; cpus: must be positive`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
