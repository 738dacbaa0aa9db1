import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Bytes streamed between two collections of the young generation. */
const EVERY_BYTES = 4 * 1024 * 1024;

type Gc = (options: { type: 'minor' }) => void;
let gc: Gc | null | undefined;

/** V8's `gc`, exposed once at run time (the agent is started without --expose-gc); null where refused. */
function collector(): Gc | null {
  if (gc !== undefined) return gc;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  } catch {
    gc = null;
  }
  return gc;
}

/**
 * Counts the bytes of a stream (a backup's or a restore's file) and collects V8's young generation
 * every {@link EVERY_BYTES}. Every chunk of such a stream is a buffer Node allocates outside V8's heap
 * (Docker's response bodies, WebSocket frames), freed only when a collection finds it dead; the
 * stream makes almost no garbage inside the heap, so no collection comes on its own before the dead
 * buffers add up to some 30 MiB (the agent's peak RSS during a backup grew by as much). A minor
 * collection of a young generation that is nearly all garbage takes well under a millisecond.
 */
export class YoungGc {
  private since = 0;

  /** Notes `bytes` more of the stream. */
  add(bytes: number): void {
    this.since += bytes;
    if (this.since < EVERY_BYTES) return;
    this.since = 0;
    collector()?.({ type: 'minor' });
  }
}
