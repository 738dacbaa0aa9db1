import { BerthError, ERROR_CODES, type ErrorCode } from '../protocol';

/**
 * An error of the SSH code (a RemoteError, see errors.ts) as a BerthError with the same code. The SSH
 * code comes from its own bundle, so its errors are recognised by name, not by class.
 */
export function ownError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  if (err.name !== 'RemoteError') return err;
  const code = (err as Error & { code?: unknown }).code;
  return ERROR_CODES.includes(code as ErrorCode) ? new BerthError(code as ErrorCode, err.message) : err;
}
