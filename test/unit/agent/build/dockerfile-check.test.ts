import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable, type Duplex } from 'node:stream';
import { pack } from 'tar-stream';
import { checkedContext } from '../../../../agent/build/dockerfile-check';

/** A build context: a tar of `files` (name → content). */
async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const tar = pack();
  for (const [name, content] of Object.entries(files)) tar.entry({ name }, content);
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** What `checkedContext` passes on of `tar`, sent in 512 KiB chunks as the client sends them. */
async function through(tar: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < tar.length; at += 512 * 1024) chunks.push(tar.subarray(at, at + 512 * 1024));
  const out: Buffer[] = [];
  for await (const chunk of checkedContext(Readable.from(chunks), 'Dockerfile')) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

describe('agent: the build context check (remote ADD)', () => {
  it('passes a context through unchanged, byte for byte', async () => {
    const tar = await tarOf({ Dockerfile: 'FROM scratch\nADD big /big\n', big: randomBytes(3 * 1024 * 1024) });
    assert.deepEqual(await through(tar), tar);
  });

  it('fails the stream at its end when the Dockerfile ADDs a remote source', async () => {
    const tar = await tarOf({ Dockerfile: 'FROM scratch\nADD https://example.com/x /x\n' });
    await assert.rejects(through(tar), /Dockerfile line 2: ADD https:\/\/example.com\/x is refused/);
  });

  it('buffers 4 MiB on the way in and little on the way out (one buffer that counts, not two)', () => {
    const checked = checkedContext(Readable.from([]), 'Dockerfile') as Duplex;
    assert.equal(checked.writableHighWaterMark, 4 * 1024 * 1024);
    assert.ok(checked.readableHighWaterMark <= 64 * 1024, `readable side ${checked.readableHighWaterMark}`);
  });
});
