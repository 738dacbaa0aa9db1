import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import { BerthError } from '../../protocol';

/** Port 22 as /proc/net/tcp writes it (hex), and the LISTEN state. */
const SSH_PORT_HEX = '0016';
const TCP_LISTEN = '0A';

/**
 * Whether a socket listens on port 22 in the network namespace of host process `pid` (the
 * container's sshd), from /proc/<pid>/net/tcp and tcp6; null when neither can be read (the agent
 * sees another pid namespace). Reading it opens no connection, so sshd logs nothing, unlike a probe
 * of its banner, which leaves "Connection closed by …" lines at the head of every workspace log.
 */
export async function sshListening(pid: number, procRoot = '/proc'): Promise<boolean | null> {
  let readable = false;
  for (const table of ['tcp', 'tcp6']) {
    const text = await fs.readFile(`${procRoot}/${pid}/net/${table}`, 'utf8').catch(() => null);
    if (text === null) continue;
    readable = true;
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === TCP_LISTEN && local?.endsWith(`:${SSH_PORT_HEX}`)) return true;
    }
  }
  return readable ? false : null;
}

/** Resolves true when a TCP connection to host:port yields an SSH identification line (`SSH-…`). */
export function sshBanner(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let received = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.length >= 4) done(received.startsWith('SSH-'));
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
  });
}

export interface WaitForSshOptions {
  host: string;
  port: number;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Why the workspace can no longer come up (its container exited...), or null while it still can. */
  failure: () => Promise<string | null>;
  /**
   * Whether sshd listens, read without connecting (see `sshListening`); null when that cannot be
   * told, and then the banner on the published port is asked. Absent: always the banner.
   */
  listening?: () => Promise<boolean | null>;
}

const POLL_MS = 25;
const FAILURE_CHECK_MS = 300;

/**
 * Waits until sshd answers (listens in the container, or where that cannot be read, its banner comes
 * on the published port): that, not a started container, is what `running` means. Fails early with the container's own reason when it exits, with `timeout` at the deadline
 * and with `cancelled` when the signal aborts.
 */
export async function waitForSsh(options: WaitForSshOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let nextFailureCheck = Date.now() + FAILURE_CHECK_MS;
  for (;;) {
    if (options.signal?.aborted) throw new BerthError('cancelled', 'cancelled while waiting for sshd');
    const listening = (await options.listening?.().catch(() => null)) ?? null;
    if (listening ?? (await sshBanner(options.host, options.port))) return;
    if (Date.now() >= nextFailureCheck) {
      const failure = await options.failure();
      if (failure) throw new BerthError('runtime_error', failure);
      nextFailureCheck = Date.now() + FAILURE_CHECK_MS;
    }
    if (Date.now() > deadline) {
      throw new BerthError(
        'timeout',
        `sshd did not answer on ${options.host}:${options.port} within ${Math.round(options.timeoutMs / 1000)} s; see the workspace's logs (berth logs NAME)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
