/**
 * Docker multiplexes a non-TTY container's stdout and stderr into frames with an 8-byte header
 * (stream type, 3 zero bytes, big-endian length). Splits such frames and returns the text; keeps an
 * incomplete trailing frame for the next chunk.
 */
export class LogDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): string {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const parts: Buffer[] = [];
    while (this.pending.length >= 8) {
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + length) break;
      parts.push(this.pending.subarray(8, 8 + length));
      this.pending = this.pending.subarray(8 + length);
    }
    return Buffer.concat(parts).toString('utf8');
  }
}
