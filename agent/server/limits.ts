/**
 * What one connection, or one user, may hold of the agent. Each bound keeps a client that misbehaves
 * (by accident or on purpose) from growing the agent's memory or descriptors without end; each is
 * far above what the CLI and the extension ever need. Fixed here until `berth serve` exposes them.
 */

const MiB = 1024 * 1024;

/**
 * Replies and events a connection may leave unread in the agent's memory (beyond the frame being
 * sent) before it is closed with 1008: a client that stops reading costs at most this much.
 */
export const MAX_BUFFERED_BYTES = 8 * MiB;

/** Requests of one connection that may run at once; the excess is answered `no_capacity` at once. */
export const MAX_REQUESTS_IN_FLIGHT = 64;

/** Followed log streams (each holds a connection to dockerd) of one connection, and of one user. */
export const MAX_FOLLOWS_PER_CONNECTION = 16;
export const MAX_FOLLOWS_PER_USER = 32;

/** Commands (`workspace.exec`, each holding a connection to dockerd) one connection, and one user, may run at once. */
export const MAX_EXECS_PER_CONNECTION = 16;
export const MAX_EXECS_PER_USER = 32;

/**
 * Output of one command sent and not yet written out to its client: above it the agent stops reading
 * the command's output (the command then blocks on a full pipe), so a slow client slows the command
 * instead of filling the agent's memory.
 */
export const EXEC_OUTPUT_WINDOW = 1 * MiB;

/**
 * Sessions (connections past `hello`) of one user, all tokens together: a CLI command holds one, a
 * VS Code window one per host. The next is closed with 1008 until the user closes some.
 */
export const MAX_SESSIONS_PER_USER = 64;

/**
 * Connections not yet past `hello` (TCP accepted, HTTP headers, upgrade, handshake), everyone's
 * together: no token is needed to open one, so they are bounded apart from the users' sessions.
 * Above the burst of a few hundred clients reconnecting at once (after an agent restart), and at
 * most half of 1,024 descriptors, the smallest open-files limit an agent is likely to run under.
 */
export const MAX_HANDSHAKING = 512;

/** From the TCP accept (or the previous request of a kept-alive connection) to complete HTTP headers. */
export const HEADERS_TIMEOUT_MS = 10_000;

/** From the upgrade's headers to the socket handed to the WebSocket (or refused and closed by the peer). */
export const UPGRADE_TIMEOUT_MS = 10_000;

/** From the upgrade to the client's `hello`; the CLI and the extension send it as soon as the socket opens. */
export const HELLO_TIMEOUT_MS = 5_000;

/** How long a closing WebSocket waits for the peer's close frame before the socket is dropped. */
export const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Runs `fn` once `ms` have passed and the I/O that came in meanwhile has been read: after a stall of
 * the agent's event loop, timers run before sockets are read, and a frame that arrived in time must
 * not lose to its own deadline. Returns the function that cancels it.
 */
export function deadline(ms: number, fn: () => void): () => void {
  let immediate: NodeJS.Immediate | null = null;
  const timer = setTimeout(() => (immediate = setImmediate(fn)), ms);
  return () => {
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  };
}

/** Counts what each key holds, against a cap shared by all keys. */
export class Tally<K> {
  private readonly held = new Map<K, number>();

  constructor(readonly max: number) {}

  /** How many `key` holds now. */
  count(key: K): number {
    return this.held.get(key) ?? 0;
  }

  /** Whether `key` holds its cap already. */
  full(key: K): boolean {
    return this.count(key) >= this.max;
  }

  /** Takes one for `key` (cap unchecked: see {@link full}); returns its release, which counts once. */
  take(key: K): () => void {
    this.held.set(key, this.count(key) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.count(key) - 1;
      if (left > 0) this.held.set(key, left);
      else this.held.delete(key);
    };
  }
}

/**
 * Bytes of output a `workspace.logs` reply without `follow` carries at most (the newest are kept):
 * 100,000 lines of a chatty container would otherwise be held and JSON-encoded whole.
 */
export const MAX_LOGS_REPLY_BYTES = 1 * MiB;

/**
 * Keeps the newest `max` bytes of `text` (from a line's start where one is near, never inside a UTF-8
 * character), after a first line saying it was cut and how to read everything.
 */
export function newestLogs(text: string, max = MAX_LOGS_REPLY_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  let start = bytes.length - max;
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
  const newline = bytes.indexOf(0x0a, start);
  if (newline >= 0 && newline < start + 4096) start = newline + 1;
  const kept = bytes.subarray(start);
  return (
    `[berth: output cut to its newest ${kept.length} bytes of ${bytes.length}, the most one reply carries; ` +
    'follow it with berth logs -f, or read all of it with docker logs on the host (admins)]\n' +
    kept.toString('utf8')
  );
}
