import { utils as sshUtils } from 'ssh2';

/** A workspace's SSH host key pair, in OpenSSH formats. */
export interface HostKeyPair {
  /** OpenSSH private key file content. */
  privateKey: string;
  /** `ssh-ed25519 AAAA…` line, without comment. */
  publicKey: string;
}

/**
 * Generates an ed25519 host key pair. Made once per workspace and kept for its life, so clients pin it
 * in known_hosts and never see a trust prompt or a "host key changed" warning.
 */
export function generateHostKey(comment: string): HostKeyPair {
  const pair = sshUtils.generateKeyPairSync('ed25519', { comment });
  const [type, blob] = pair.public.split(' ');
  return { privateKey: pair.private, publicKey: `${type} ${blob}` };
}
