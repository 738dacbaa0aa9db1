import { cloneWithSecret, type Clone, type SecretRef } from '../protocol';
import { UsageError } from './args';

/** The options of clone on create (`berth create --clone URL`; `berth update` takes them too). */
export const CLONE_OPTIONS = {
  clone: { type: 'string' },
  branch: { type: 'string' },
  into: { type: 'string' },
  'clone-secret': { type: 'string' },
} as const;

export const CLONE_USAGE = '[--clone URL [--branch B] [--into DIR] [--clone-secret NAME]]';

/**
 * What `--clone URL` and its companions ask for; undefined without `--clone`. `--clone-secret NAME`
 * makes NAME one of the workspace's secret files (at /run/secrets/NAME) when `secrets` lacks it,
 * since the clone reads the token or key from there.
 */
export function cloneFlags(
  values: { clone?: string; branch?: string; into?: string; 'clone-secret'?: string },
  secrets: SecretRef[] | undefined,
  usage: string,
): { clone: Clone; secrets?: SecretRef[] } | undefined {
  if (values.clone === undefined) {
    for (const flag of ['branch', 'into', 'clone-secret'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --clone URL`, usage);
    }
    return undefined;
  }
  const clone: Clone = { url: values.clone };
  if (values.branch !== undefined) clone.branch = values.branch;
  if (values.into !== undefined) clone.into = values.into.replace(/^~\//, '');
  const key = values['clone-secret'];
  if (key !== undefined) clone.secret = key;
  return cloneWithSecret(clone, secrets);
}
