import * as assert from 'node:assert/strict';
import { LogDemuxer, StreamDemuxer } from '../../../../agent/runtime/demux';

const STDOUT = 1;
const STDERR = 2;

/** One frame of Docker's multiplexed log stream: stream type, three zero bytes, big-endian length, payload. */
function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Feeds `chunks` one by one and returns everything the demuxer gave back. */
function demux(chunks: Buffer[]): string {
  const demuxer = new LogDemuxer();
  return chunks.map((chunk) => demuxer.push(chunk)).join('');
}

describe('agent: Docker log demultiplexing', () => {
  it('returns the text of a whole frame', () => {
    assert.equal(new LogDemuxer().push(frame(STDOUT, 'hello\n')), 'hello\n');
  });

  it('returns stdout and stderr frames of one chunk in order', () => {
    const chunk = Buffer.concat([frame(STDOUT, 'out\n'), frame(STDERR, 'err\n'), frame(STDOUT, 'more\n')]);
    assert.equal(new LogDemuxer().push(chunk), 'out\nerr\nmore\n');
  });

  it('waits for the rest of a header split across chunks', () => {
    const whole = frame(STDOUT, 'split header\n');
    const demuxer = new LogDemuxer();
    assert.equal(demuxer.push(whole.subarray(0, 3)), '');
    assert.equal(demuxer.push(whole.subarray(3)), 'split header\n');
  });

  it('waits for the rest of a payload split across chunks', () => {
    const whole = frame(STDOUT, 'split payload\n');
    const demuxer = new LogDemuxer();
    assert.equal(demuxer.push(whole.subarray(0, 12)), '');
    assert.equal(demuxer.push(whole.subarray(12)), 'split payload\n');
  });

  it('keeps a multi-byte character whole when its frame is split inside it', () => {
    const whole = frame(STDOUT, 'café ✓\n');
    const cut = whole.indexOf(Buffer.from('✓')) + 1;
    assert.equal(demux([whole.subarray(0, cut), whole.subarray(cut)]), 'café ✓\n');
  });

  it('reassembles a stream cut into single bytes', () => {
    const stream = Buffer.concat([frame(STDOUT, 'one\n'), frame(STDERR, 'two\n'), frame(STDOUT, '')]);
    const bytes = [...stream].map((byte) => Buffer.from([byte]));
    assert.equal(demux(bytes), 'one\ntwo\n');
  });

  it('returns complete frames at once and keeps a trailing partial one', () => {
    const second = frame(STDOUT, 'second\n');
    const demuxer = new LogDemuxer();
    assert.equal(demuxer.push(Buffer.concat([frame(STDOUT, 'first\n'), second.subarray(0, 9)])), 'first\n');
    assert.equal(demuxer.push(second.subarray(9)), 'second\n');
  });

  it('reads a frame longer than 64 KiB', () => {
    const long = `${'x'.repeat(70_000)}\n`;
    const whole = frame(STDOUT, long);
    assert.equal(demux([whole.subarray(0, 40_000), whole.subarray(40_000)]), long);
  });
});

describe('agent: Docker stream demultiplexing for commands', () => {
  const binary = (stream: number, bytes: Buffer): Buffer => {
    const header = Buffer.alloc(8);
    header.writeUInt8(stream, 0);
    header.writeUInt32BE(bytes.length, 4);
    return Buffer.concat([header, bytes]);
  };

  it('keeps stdout and stderr apart, as bytes, across chunk boundaries', () => {
    const invalidUtf8 = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    const whole = Buffer.concat([binary(STDOUT, invalidUtf8), binary(STDERR, Buffer.from('err')), frame(STDOUT, '')]);
    const demuxer = new StreamDemuxer();
    const parts = [
      ...demuxer.push(whole.subarray(0, 5)),
      ...demuxer.push(whole.subarray(5, 13)),
      ...demuxer.push(whole.subarray(13)),
    ];
    assert.deepEqual(
      parts.map((part) => [part.stream, part.data.toString('hex')]),
      [
        ['stdout', 'fffe0080'],
        ['stderr', Buffer.from('err').toString('hex')],
      ],
    );
  });
});
