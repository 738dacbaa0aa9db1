import type { Welcome } from '../../protocol';

/** A compute host the user added: where its agent listens. The token lives in SecretStorage. */
export interface HostConfig {
  /** Stable id (slug of the label, made unique): tree ids, SSH aliases and secret keys use it. */
  id: string;
  label: string;
  /** The agent's WebSocket URL; for an SSH host, `ssh://` and the SSH target (display only). */
  url: string;
  /** For a host reached over SSH: `user@host[:port]` or an alias of the user's SSH config. */
  ssh?: string;
}

/** Where a host's connection stands. */
export type HostStatus =
  | { kind: 'connecting' }
  | { kind: 'connected'; welcome: Welcome }
  /** `retryAt` is when the next attempt is due; absent when retrying cannot help (a bad token). */
  | { kind: 'error'; message: string; code?: string; retryAt?: number };

/** Makes a string safe inside an SSH alias: lowercase letters, digits and hyphens. */
export function aliasPart(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'host'
  );
}
