/**
 * Version of the wire protocol; both ends state it in the handshake and refuse a different one.
 * 2: GPUs in host.info with holders, idle signals and methods, `waitForGpus`, `user.setQuota`.
 * New methods alone need no bump (an older agent answers them with `unknown_method`): so it was for
 * `user.tokens`, `user.revokeToken`, `user.keys`, `user.removeKey`, `user.list` and `host.images`
 * (without it the create wizard checks images by their grammar only); and for host.info's optional
 * `defaults`.
 */
export const PROTOCOL_VERSION = 2;

/** Largest frame (in bytes of UTF-8 JSON) either end accepts; bigger frames get `frame_too_large`. */
export const MAX_FRAME_BYTES = 1024 * 1024;

/** Default address of the agent: loopback only, remote use goes through SSH. */
export const DEFAULT_AGENT_URL = 'ws://127.0.0.1:7420';
