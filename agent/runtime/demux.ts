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

/** A chunk of one stream of a multiplexed Docker stream. */
export interface StreamPart {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/**
 * The same frames, kept apart by stream and as bytes (a command's output need not be text). Stream
 * type 2 is stderr; 0 (stdin, never sent) and 1 are counted as stdout.
 */
export class StreamDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): StreamPart[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const parts: StreamPart[] = [];
    while (this.pending.length >= 8) {
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + length) break;
      const stream = this.pending[0] === 2 ? 'stderr' : 'stdout';
      if (length > 0) parts.push({ stream, data: this.pending.subarray(8, 8 + length) });
      this.pending = this.pending.subarray(8 + length);
    }
    return parts;
  }
}
