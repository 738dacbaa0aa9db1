import { z } from 'zod';
import { SECRETS_DIR, SecretName, type SecretRef } from './secrets';

/**
 * Clone on create (issue 15): a repository cloned into the workspace's home at its first start, as
 * its user, once per home (a marker in `~/.berth/lifecycle/` remembers it), before the
 * devcontainer's onCreateCommand. Credentials come from one of the workspace's secret files:
 * for HTTPS a token handed to git by a credential helper given on the command line, for SSH a
 * private key (`core.sshCommand`); neither is ever written into the repository's `.git/config`.
 */

/** Characters no URL, branch or folder of a clone may hold: controls, and a space (git splits on none, shells do). */
const PLAIN = /^[^\p{Cc}\s]+$/u;

/** Where to clone from: `https://`, `http://`, `ssh://`, `git://`, `file://`, or scp-like `user@host:path`. */
export const CloneUrl = z
  .string()
  .min(1)
  .max(2048)
  .regex(PLAIN, 'must be a URL without spaces or control characters')
  .refine(
    (url) => /^(https?|ssh|git|file):\/\/[^/]*\/?./.test(url) || /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/]/.test(url),
    {
      message:
        'must be a git URL: https://host/path, ssh://user@host/path, user@host:path, git://host/path or file:///path',
    },
  );

/** A branch or tag to check out: a git ref name (no leading "-", no ".."). */
export const CloneBranch = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._/+-]*$/, 'must be a branch or tag name such as main or release/1.2')
  .refine((ref) => !ref.includes('..') && !ref.endsWith('.lock') && !ref.endsWith('/'), {
    message: 'must be a branch or tag name such as main or release/1.2',
  });

/** The folder in the home to clone into: relative, no "..", such as `src/app`. */
export const CloneInto = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9_.][A-Za-z0-9._/-]*$/, 'must be a folder inside the home, such as app or src/app')
  .refine((dir) => dir.split('/').every((part) => part !== '' && part !== '.' && part !== '..'), {
    message: 'must be a folder inside the home (no "..", no empty part), such as app or src/app',
  });

/** The spec's `clone`. */
export const Clone = z
  .object({
    url: CloneUrl,
    branch: CloneBranch.optional(),
    /** Default: the repository's name, from the URL (`~/app` for `…/app.git`). */
    into: CloneInto.optional(),
    /** One of the workspace's secrets with a file target: a token (HTTPS) or a private key (SSH). */
    secret: SecretName.optional(),
  })
  .strict();
export type Clone = z.infer<typeof Clone>;

/** The folder in the home a clone goes into: `into`, else the URL's last part less `.git`. */
export function cloneFolder(clone: Clone): string {
  if (clone.into) return clone.into;
  const last =
    clone.url
      .replace(/[/:]+$/, '')
      .split(/[/:]/)
      .pop() ?? '';
  const name = last.replace(/\.git$/, '');
  return /^[A-Za-z0-9_.][A-Za-z0-9._-]*$/.test(name) && name !== '.' && name !== '..' ? name : 'repo';
}

/**
 * A clone's spec fields, as `berth create --clone URL --clone-secret NAME` and the extension's create
 * wizard both make them: `clone.secret` becomes one of the workspace's secret files (at
 * `/run/secrets/NAME`) when `secrets` lacks it with a file target, since the clone reads it there.
 * `secrets` is returned only when it changed.
 */
export function cloneWithSecret(
  clone: Clone,
  secrets: SecretRef[] | undefined,
): { clone: Clone; secrets?: SecretRef[] } {
  const key = clone.secret;
  if (key === undefined || secrets?.some((ref) => ref.key === key && ref.file !== undefined)) return { clone };
  return { clone, secrets: [...(secrets ?? []), { key, file: `${SECRETS_DIR}/${key}` }] };
}
