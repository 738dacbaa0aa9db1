/**
 * Holds back the last `keep` bytes of a stream of chunks and passes the rest on as the very chunks
 * that came, uncopied: a backup is gigabytes, and a copy of every chunk (concatenating what was held
 * with what came) cost the agent tens of MiB of freed-but-not-yet-collected buffers. Holds at most
 * `keep` bytes and the chunk that came last; each chunk passes once the next one has come.
 */
export class HoldBack {
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(private readonly keep: number) {}

  /** Takes `chunk`; returns the chunks that may pass on now, in order. */
  push(chunk: Buffer): Buffer[] {
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    const out: Buffer[] = [];
    for (let first = this.held[0]; first && this.heldBytes - first.length >= this.keep; first = this.held[0]) {
      this.held.shift();
      this.heldBytes -= first.length;
      out.push(first);
    }
    return out;
  }

  /** At the stream's end: what was held before its last `keep` bytes, and those bytes (all, if fewer came). */
  end(): { rest: Buffer; last: Buffer } {
    const all = Buffer.concat(this.held);
    this.held = [];
    this.heldBytes = 0;
    const cut = Math.max(0, all.length - this.keep);
    return { rest: all.subarray(0, cut), last: all.subarray(cut) };
  }
}
