import * as net from 'node:net';
import { BerthError } from '../../protocol';

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
}

const POLL_MS = 25;
const FAILURE_CHECK_MS = 300;

/**
 * Waits until sshd answers on the published port: that, not a started container, is what `running`
 * means. Fails early with the container's own reason when it exits, with `timeout` at the deadline
 * and with `cancelled` when the signal aborts.
 */
export async function waitForSsh(options: WaitForSshOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let nextFailureCheck = Date.now() + FAILURE_CHECK_MS;
  for (;;) {
    if (options.signal?.aborted) throw new BerthError('cancelled', 'cancelled while waiting for sshd');
    if (await sshBanner(options.host, options.port)) return;
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
