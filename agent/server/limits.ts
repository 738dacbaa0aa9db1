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

/** How long a closing WebSocket waits for the peer's close frame before the socket is dropped. */
export const CLOSE_TIMEOUT_MS = 10_000;
