import { z } from 'zod';
import { BuildDefinition, BuildHash, BuildRecord } from './build-record';
import { RequestId } from './ids';
import { ImageRef } from './spec';
import { Workspace, WorkspaceRef } from './workspace';

/**
 * `image.build`: an image built on the host from a context the client sends.
 *
 * The image is named by the hash of its definition and context (computed by the client), so the
 * same inputs never build twice. The client gives it either first or last:
 * - `hash` first (the client knew every file's digest): with `probe` the agent only says whether it
 *   has that build (`cached`); without, it answers a build it has at once, `cached`, nothing sent.
 * - `hashLast` (an agent whose welcome names `build-hash-last`, protocol/version.ts): the client did
 *   not read every file yet, so it sends the context while it hashes it, and the 64 hex digits of
 *   the hash right after the tar's `size` bytes. The agent holds back the tar's last 1024 bytes (its
 *   end blocks: Docker starts building only once it has them) until the hash is in; a build it has
 *   then is answered `cached` and Docker never builds. Only the upload was spent.
 *
 * When it has no such build, the agent sends one `image.build.progress` of 0 bytes: the client then
 * sends the context (a tar) as binary frames ({@link bytesFrameHeader}: chunks of at most
 * {@link BUILD_CHUNK_BYTES}; `{input: id, data}` text frames, base64, are taken too), at most
 * {@link BUILD_WINDOW} bytes beyond what the agent acknowledged with `image.build.progress`, then
 * one `{input: id, eof: true}`. The build log arrives as `image.build.log` events; the reply names
 * the image once it is built and tagged. A cancel frame stops the upload and the build, and nothing
 * is tagged.
 */

/** Bytes of context a client may have sent beyond what the agent acknowledged; more fails the build. */
export const BUILD_WINDOW = 16 * 1024 * 1024;

/** The largest chunk of context one binary frame carries (the frame also holds its 5-byte header). */
export const BUILD_CHUNK_BYTES = 512 * 1024;

/** The first byte of a binary frame of bytes for a running request (never `{`, which starts JSON). */
export const BYTES_FRAME_TAG = 0;

/**
 * The header of a binary frame carrying bytes for the running request `id` (a number below 2^32):
 * {@link BYTES_FRAME_TAG}, then `id` as 4 bytes big-endian; the bytes follow. The only binary frames
 * of the protocol (a build's context; a backup's file, both ways: protocol/backup.ts): base64 in JSON
 * would cost the CPU more than the upload itself.
 */
export function bytesFrameHeader(id: number): Uint8Array {
  const header = new Uint8Array(5);
  header[0] = BYTES_FRAME_TAG;
  new DataView(header.buffer).setUint32(1, id);
  return header;
}

/** The agent's default limit on a build context, in bytes (`berth serve --max-build-context`). */
export const DEFAULT_MAX_BUILD_CONTEXT = 2 * 1024 ** 3;

/** Bytes of the hash that follow the tar in a `hashLast` build: SHA-256 in lowercase hex. */
export const BUILD_HASH_TRAILER_BYTES = 64;

export const ImageBuildParams = BuildDefinition.extend({
  /** The build's hash, when the client knows it before sending (see above); else `hashLast`. */
  hash: BuildHash.optional(),
  /** The hash comes after the tar, in the byte stream (see above). */
  hashLast: z.boolean().default(false),
  /** The context's size as a tar, in bytes; the agent refuses one over its limit before any upload. */
  size: z
    .number()
    .int()
    .min(1)
    .max(2 ** 53 - 1),
  /** Only ask whether this build exists (`cached`); never build. */
  probe: z.boolean().default(false),
})
  .strict()
  .refine((params) => (params.hash === undefined) === params.hashLast, {
    message: 'give either hash (known before the upload) or hashLast: true (it follows the tar), not both nor neither',
  })
  .refine((params) => !(params.probe && params.hashLast), {
    message: 'a probe needs the hash: give hash, not hashLast',
  });

/** `image`: the local reference of the built image; `cached`: it existed, nothing was uploaded or built. */
export const ImageBuildResult = z.object({ image: z.string(), cached: z.boolean() });

/** The methods of builds, merged into the method table. */
export const BUILD_METHODS = {
  'image.build': { params: ImageBuildParams, result: ImageBuildResult },
  /**
   * Recreates the workspace's container from `image` (made by `image.build`) on the same home volume
   * and host key, recording `build` in its spec; a running one is started again, a stopped one stays
   * stopped (its next start makes the new container).
   */
  'workspace.rebuild': {
    params: WorkspaceRef.extend({ image: ImageRef, build: BuildRecord }).strict(),
    result: z.object({ workspace: Workspace }),
  },
} as const;

/** Agent → client events of a running `image.build`. */
export const BUILD_EVENTS = {
  /** Output of the build (Docker's build log), as it comes. */
  'image.build.log': z.object({ requestId: RequestId, text: z.string() }),
  /**
   * `uploading`: `bytes` of the context have reached Docker (0: send it now); `building`: the whole
   * context is in, Docker builds.
   */
  'image.build.progress': z.object({
    requestId: RequestId,
    phase: z.enum(['uploading', 'building']),
    bytes: z.number().int().min(0),
    total: z.number().int().min(0),
  }),
} as const;
