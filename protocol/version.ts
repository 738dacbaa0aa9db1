/**
 * Version of the wire protocol; both ends state it in the handshake and refuse a different one.
 * 2: GPUs in host.info with holders, idle signals and methods, `waitForGpus`, `user.setQuota`.
 * New methods alone need no bump (an older agent answers them with `unknown_method`): so it was for
 * `user.tokens`, `user.revokeToken`, `user.keys`, `user.removeKey`, `user.list` and `host.images`
 * (without it the create wizard checks images by their grammar only); and for host.info's optional
 * `defaults`.
 */
export const PROTOCOL_VERSION = 2;

/**
 * What an agent can do that an agent of the same protocol version before it could not, named in its
 * welcome (`features`), so that a client asks for it only where it is there and does without it
 * elsewhere, instead of a version bump that would refuse every older agent:
 * - `binary-input`: a streaming request's input (`workspace.restore`'s file) taken as binary frames
 *   (protocol/build.ts `bytesFrameHeader`) as well as base64 in `stdin` frames. An older agent
 *   answers a binary frame outside a build with an error, so a client sends it base64 there.
 * - `build-hash-last`: `image.build` takes `hashLast` (protocol/build.ts), so that a first build of a
 *   folder is sent as it is read and hashed, instead of read twice.
 */
export const AGENT_FEATURES = ['binary-input', 'build-hash-last'] as const;
export type AgentFeature = (typeof AGENT_FEATURES)[number];

/** Largest frame (in bytes of UTF-8 JSON) either end accepts; bigger frames get `frame_too_large`. */
export const MAX_FRAME_BYTES = 1024 * 1024;

/** Default address of the agent: loopback only, remote use goes through SSH. */
export const DEFAULT_AGENT_URL = 'ws://127.0.0.1:7420';
