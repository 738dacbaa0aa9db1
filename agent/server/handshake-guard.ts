import type { Duplex } from 'node:stream';
import type { Logger } from '../../util/log';
import { HEADERS_TIMEOUT_MS, MAX_HANDSHAKING, UPGRADE_TIMEOUT_MS, deadline } from './limits';

/** Where a connection is on its way to a greeted session. */
type Stage = 'headers' | 'upgrade' | 'hello';

interface Entry {
  stage: Stage;
  cancel: () => void;
}

/** How often at most the guard says it dropped connections for the cap (an attack would flood the log). */
const WARN_EVERY_MS = 60_000;

/**
 * Bounds the connections that have not shaken hands yet: anyone who can reach the port can open
 * them, token or not. Each stage has a deadline (headers, then the upgrade; the session times its
 * own `hello`), and past {@link MAX_HANDSHAKING} the oldest is dropped for the newest: a flood then
 * holds a bounded number of descriptors, and a client that shakes hands promptly still gets through
 * (refusing the newest instead would let a dozen idle sockets a second lock everyone out).
 */
export class HandshakeGuard {
  /** In accept order, so that the first entry is the oldest. */
  private readonly open = new Map<Duplex, Entry>();
  private dropped = 0;
  private lastWarn = 0;

  constructor(private readonly log: Logger) {}

  /** A TCP connection was accepted: it has {@link HEADERS_TIMEOUT_MS} to send its request's headers. */
  accepted(socket: Duplex): void {
    while (this.open.size >= MAX_HANDSHAKING) this.evictOldest();
    socket.once('close', () => this.forget(socket));
    this.arm(socket, 'headers');
  }

  /** A plain HTTP request was read (it is answered at once): a kept-alive connection waits for the next one. */
  request(socket: Duplex): void {
    if (this.open.has(socket)) this.arm(socket, 'headers');
  }

  /** An upgrade's headers were read: the token check and the switch get {@link UPGRADE_TIMEOUT_MS}. */
  upgrading(socket: Duplex): void {
    if (this.open.has(socket)) this.arm(socket, 'upgrade');
  }

  /** The WebSocket is open: from now on the session's own `hello` deadline applies; it still counts here. */
  upgraded(socket: Duplex): void {
    const entry = this.open.get(socket);
    if (!entry) return;
    entry.cancel();
    this.open.set(socket, { stage: 'hello', cancel: () => undefined });
  }

  /** The client said `hello`: it is a session now, bounded by the session's own limits. */
  greeted(socket: Duplex): void {
    this.forget(socket);
  }

  /** Drops every connection still shaking hands (the agent is stopping). */
  closeAll(): void {
    for (const socket of [...this.open.keys()]) this.drop(socket);
  }

  private arm(socket: Duplex, stage: 'headers' | 'upgrade'): void {
    this.open.get(socket)?.cancel();
    const ms = stage === 'headers' ? HEADERS_TIMEOUT_MS : UPGRADE_TIMEOUT_MS;
    // Re-arming keeps the entry's place: the age that eviction goes by is the connection's.
    this.open.set(socket, { stage, cancel: deadline(ms, () => this.drop(socket)) });
  }

  private evictOldest(): void {
    const oldest = this.open.keys().next();
    if (oldest.done) return;
    this.drop(oldest.value);
    this.dropped++;
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) return;
    this.lastWarn = now;
    this.log.warn(
      `more than ${MAX_HANDSHAKING} connections were shaking hands at once: dropped the oldest (${this.dropped} so far); someone may be flooding the agent's port`,
    );
  }

  private drop(socket: Duplex): void {
    this.forget(socket);
    socket.destroy();
  }

  private forget(socket: Duplex): void {
    this.open.get(socket)?.cancel();
    this.open.delete(socket);
  }
}
