import { BerthError } from '../../protocol';
import type { RemoteHost } from '../../client/remote-host';
import { HostConnection } from './connection';
import type { HostConfig } from './host';

/** Where an SSH host's token is kept (SecretStorage in the extension). */
export interface TokenStore {
  get(): Promise<string | undefined>;
  set(token: string): Promise<void>;
}

/**
 * A HostConnection to a host reached over SSH: the token is minted over SSH the first time (and
 * again if the agent no longer knows it, e.g. after its state was reset), and every connection
 * goes through the tunnel. Reconnecting with backoff after a drop reopens the SSH session.
 */
export function sshHostConnection(host: HostConfig, remote: RemoteHost, tokens: TokenStore): HostConnection {
  const token = async () => {
    const stored = await tokens.get();
    if (stored) return stored;
    const minted = await remote.mintToken();
    await tokens.set(minted);
    return minted;
  };
  const connector = async (_url: string, current: string) => {
    await remote.ready();
    try {
      return await remote.connect(current);
    } catch (err) {
      // The agent no longer knows the token (its state was reset): the SSH user may mint another.
      if (!(err instanceof BerthError) || err.code !== 'unauthorized') throw err;
      const minted = await remote.mintToken();
      await tokens.set(minted);
      return remote.connect(minted);
    }
  };
  return new HostConnection(host, token, connector);
}
