import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { Client, utils, type AnyAuthMethod, type ClientChannel, type ServerHostKeyAlgorithm } from 'ssh2';
import { RemoteError } from './errors';
import { addKnownHost, checkHostKey, fingerprint, keyType, preferredHostKeyAlgorithms } from './known-hosts';
import { knownHostsName, type SshTarget } from './target';

/** What the user is asked about a host key no known_hosts file has. */
export interface UnknownHostKey {
  /** The name the key will be filed under: `host` or `[host]:port`. */
  name: string;
  keyType: string;
  /** `SHA256:...`, as `ssh` shows it. */
  fingerprint: string;
}

/** How sessions authenticate and check host keys. */
export interface SessionOptions {
  /** Resolves a ProxyJump hop (`[user@]host[:port]` or an alias) as the user's ssh would. */
  resolve: (spec: string) => SshTarget;
  /** Asks the user whether to trust an unknown host key; true adds it to their known_hosts. */
  confirmHostKey: (key: UnknownHostKey) => Promise<boolean>;
  /** The ssh-agent socket (default `$SSH_AUTH_SOCK`). */
  agentSocket?: string | undefined;
  /** Give up on a host that does not finish the handshake in this time (default 20 s). */
  readyTimeoutMs?: number;
  /** Keepalives every this many ms; three unanswered drop the session (default 15 s). */
  keepaliveMs?: number;
}

/** The result of a command run on the host. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** The authentication methods to try, in ssh's order: the agent, then each usable key file. */
function authMethods(target: SshTarget, agentSocket: string | undefined): AnyAuthMethod[] {
  const username = target.user;
  const methods: AnyAuthMethod[] = agentSocket ? [{ type: 'agent', username, agent: agentSocket }] : [];
  const files = target.identityFiles.length
    ? target.identityFiles
    : DEFAULT_KEYS.map((name) => path.join(os.homedir(), '.ssh', name));
  for (const file of files) {
    if (!existsSync(file)) continue;
    const key = readFileSync(file);
    // A key with a passphrase can only be used through the agent (ssh-add it): there is no prompt here.
    if (utils.parseKey(key) instanceof Error) continue;
    methods.push({ type: 'publickey', username, key });
  }
  return methods;
}

/**
 * One SSH connection to a host through `ssh2`, set up as the user's `ssh` would be: their config's
 * settings, their agent or keys, their known_hosts (an unknown key is put to the user, a changed one
 * is refused), and ProxyJump hops. Runs commands, uploads files and opens channels to ports on the host.
 */
export class SshSession {
  private closedReason: string | null = null;
  private readonly closeListeners = new Set<(reason: string) => void>();

  private constructor(
    readonly target: SshTarget,
    private readonly client: Client,
    private readonly via: SshSession | null,
  ) {
    // After 'ready' ssh2 may emit more than one 'error' (keepalive timeout, then the socket's): each
    // closes the session; without a listener one would crash the extension host.
    client.on('error', (err) => this.markClosed(`the SSH connection failed: ${err.message}`));
    client.on('close', () => this.markClosed('the SSH connection closed'));
    via?.onClose((reason) => this.markClosed(`the jump host's SSH connection closed (${reason})`));
  }

  /** Connects and authenticates; errors say what is wrong (host key, authentication, network). */
  static async open(target: SshTarget, options: SessionOptions): Promise<SshSession> {
    let via: SshSession | null = null;
    let sock: Duplex | undefined;
    const hops = target.proxyJump;
    if (hops.length) {
      const last = options.resolve(hops[hops.length - 1] ?? '');
      via = await SshSession.open({ ...last, proxyJump: [...hops.slice(0, -1), ...last.proxyJump] }, options);
      try {
        sock = await via.channel(target.hostName, target.port);
      } catch (err) {
        via.close();
        throw err;
      }
    }
    const client = new Client();
    const where = `${target.user}@${target.hostName}:${target.port}`;
    let refusal: Error | null = null;
    /** A host key no known_hosts file has: the user is asked once this connection is dropped. */
    let unknown: { key: UnknownHostKey; blob: Buffer } | null = null;
    const name = knownHostsName(target);
    const hostVerifier = (blob: Buffer, verify: (ok: boolean) => void) => {
      const verdict = checkHostKey(target.knownHostsFiles, name, blob);
      if (verdict.kind === 'known') return verify(true);
      if (verdict.kind === 'changed') {
        refusal = new RemoteError(
          'forbidden',
          `the host key of ${name} has changed (${keyType(blob)} ${fingerprint(blob)}); it does not match ${verdict.file} line ${verdict.line}. This can mean someone is intercepting the connection; if the host was reinstalled, remove the old key (ssh-keygen -R '${name}') and connect again`,
        );
        return verify(false);
      }
      // Not while the handshake waits: its timer (readyTimeout) would run out under a user reading
      // the fingerprint. The connection is made again once they trust the key.
      unknown = { key: { name, keyType: keyType(blob), fingerprint: fingerprint(blob) }, blob };
      verify(false);
    };
    const methods = authMethods(target, options.agentSocket ?? process.env.SSH_AUTH_SOCK);
    if (!methods.length) {
      via?.close();
      throw new RemoteError(
        'unauthorized',
        `no SSH key to log in to ${where} with: start ssh-agent with your key, or name one with IdentityFile in ~/.ssh/config`,
      );
    }
    const preferred = preferredHostKeyAlgorithms(target.knownHostsFiles, name) as ServerHostKeyAlgorithm[];
    const outcome = await new Promise<'ready' | 'ask'>((resolve, reject) => {
      client.once('ready', () => resolve('ready'));
      client.once('error', (err) => {
        client.end();
        via?.close();
        if (refusal) return reject(refusal);
        if (unknown) return resolve('ask');
        const level = (err as Error & { level?: string }).level;
        if (level === 'client-authentication') {
          return reject(
            new RemoteError(
              'unauthorized',
              `${where} refused every SSH key offered (${methods.map((m) => (m.type === 'agent' ? 'ssh-agent' : 'key file')).join(', ')}): check that your public key is in ~/.ssh/authorized_keys there`,
            ),
          );
        }
        reject(new RemoteError('internal', `cannot reach ${where} over SSH: ${err.message}`));
      });
      client.connect({
        host: target.hostName,
        port: target.port,
        username: target.user,
        ...(sock ? { sock } : {}),
        authHandler: methods,
        hostVerifier,
        ...(preferred.length
          ? { algorithms: { serverHostKey: { remove: preferred, prepend: preferred, append: [] } } }
          : {}),
        readyTimeout: options.readyTimeoutMs ?? 20_000,
        keepaliveInterval: options.keepaliveMs ?? 15_000,
        keepaliveCountMax: 3,
      });
    });
    if (outcome === 'ask' && unknown) {
      const { key, blob } = unknown as { key: UnknownHostKey; blob: Buffer };
      if (!(await options.confirmHostKey(key))) {
        throw new RemoteError('forbidden', `the host key of ${name} (${key.fingerprint}) was not accepted`);
      }
      addKnownHost(target.knownHostsFiles[0] ?? '', name, blob);
      return SshSession.open(target, options);
    }
    return new SshSession(target, client, via);
  }

  /** Whether the connection has closed (it is not reopened: open a new session). */
  get closed(): boolean {
    return this.closedReason !== null;
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListeners.add(listener);
  }

  /** Runs `command` in the user's login shell on the host, feeding it `stdin` if given. */
  exec(command: string, stdin?: string): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) {
          return reject(new RemoteError('internal', `cannot run a command on ${this.target.hostName}: ${err.message}`));
        }
        let stdout = '';
        let stderr = '';
        stream.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        stream.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        stream.on('close', (code: number | null) => resolve({ code: code ?? -1, stdout, stderr }));
        stream.end(stdin);
      });
    });
  }

  /** Copies `localFile` to `remotePath` over SFTP (the directory must exist). */
  upload(localFile: string, remotePath: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.sftp((err, sftp) => {
        if (err) {
          return reject(
            new RemoteError('internal', `SFTP is not available on ${this.target.hostName}: ${err.message}`),
          );
        }
        sftp.fastPut(localFile, remotePath, (putErr) => {
          sftp.end();
          if (putErr) reject(new RemoteError('internal', `cannot upload to ${remotePath}: ${putErr.message}`));
          else resolve();
        });
      });
    });
  }

  /** A channel to `host:port` as seen from the SSH server (`direct-tcpip`, like `ssh -L`). */
  channel(host: string, port: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, stream) =>
        err
          ? reject(new RemoteError('internal', `cannot open a channel to ${host}:${port} through SSH: ${err.message}`))
          : resolve(stream),
      );
    });
  }

  /** Closes the connection (and the jump host's). */
  close(): void {
    this.markClosed('closed');
  }

  private markClosed(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.client.end();
    this.via?.close();
    for (const listener of this.closeListeners) listener(reason);
  }
}
