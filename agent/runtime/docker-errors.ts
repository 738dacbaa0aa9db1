import { BerthError } from '../../protocol';
import { errorMessage } from '../../util/log';

/** The HTTP status of a failed Docker API call, if it has one. */
export const statusCode = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

/** Turns an engine failure into a protocol error that says what Docker said. */
export function runtimeError(action: string, err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  const reason = (err as { json?: { message?: string } }).json?.message ?? errorMessage(err);
  if (/Max redirects exceeded/.test(reason)) {
    return new BerthError(
      'runtime_error',
      `Docker could not ${action}: the engine answered with a redirect (it cleans paths with "..", "//" and the like), which Berth never follows; check the name`,
    );
  }
  return new BerthError('runtime_error', `Docker could not ${action}: ${reason}`);
}
