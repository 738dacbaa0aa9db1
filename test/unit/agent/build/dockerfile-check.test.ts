import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable, type Duplex } from 'node:stream';
import { pack } from 'tar-stream';
import { checkedContext, MAX_DOCKERFILE_BYTES, remoteAddProblem } from '../../../../agent/build/dockerfile-check';

/** A build context: a tar of `files` (name → content). */
async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const tar = pack();
  for (const [name, content] of Object.entries(files)) tar.entry({ name }, content);
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A host that has every image. */
const HAS_ALL = { args: {}, look: () => Promise.resolve({ onBuild: [], platform: 'linux/amd64' }) };

/** What `checkedContext` passes on of `tar`, sent in 512 KiB chunks as the client sends them. */
async function through(tar: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < tar.length; at += 512 * 1024) chunks.push(tar.subarray(at, at + 512 * 1024));
  const out: Buffer[] = [];
  for await (const chunk of checkedContext(Readable.from(chunks), 'Dockerfile', HAS_ALL)) out.push(chunk as Buffer);
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
    const checked = checkedContext(Readable.from([]), 'Dockerfile', HAS_ALL) as Duplex;
    assert.equal(checked.writableHighWaterMark, 4 * 1024 * 1024);
    assert.ok(checked.readableHighWaterMark <= 64 * 1024, `readable side ${checked.readableHighWaterMark}`);
  });
});

/** `tar` through the check on a host with only `images`; the images it was asked about. */
async function on(
  images: string[],
  tar: Buffer,
  args: Record<string, string> = {},
  onBuild: Record<string, string[]> = {},
) {
  const asked: string[] = [];
  const look = (ref: string) => {
    asked.push(ref);
    return Promise.resolve(images.includes(ref) ? { onBuild: onBuild[ref] ?? [], platform: 'linux/amd64' } : null);
  };
  const out: Buffer[] = [];
  for await (const chunk of checkedContext(Readable.from([tar]), 'Dockerfile', { args, look })) {
    out.push(chunk as Buffer);
  }
  return asked;
}

describe('agent: the build context check (images the host lacks, unreadable tars)', () => {
  it('fails the stream when an image the Dockerfile builds on is not on the host, naming it and its line', async () => {
    const tar = await tarOf({ Dockerfile: 'FROM base:1 AS b\nFROM b\nCOPY --from=10.0.0.5:5000/x /x /x\n' });
    await assert.rejects(
      on(['base:1'], tar),
      /Dockerfile line 3: COPY --from 10.0.0.5:5000\/x is not on this host, and the host's Docker would pull it .*docker pull 10.0.0.5:5000\/x/,
    );
    assert.deepEqual(await on(['base:1', '10.0.0.5:5000/x'], tar), ['base:1', '10.0.0.5:5000/x']);
  });

  it('fails the stream when the look at the host fails: never unchecked', async () => {
    const tar = await tarOf({ Dockerfile: 'FROM base:1\n' });
    const look = () => Promise.reject(new Error('dockerd is down'));
    const run = async () => {
      for await (const _ of checkedContext(Readable.from([tar]), 'Dockerfile', { args: {}, look })) void _;
    };
    await assert.rejects(run(), /dockerd is down/);
  });

  it('fails the stream when the context is not a tar it can read', async () => {
    const garbage = Buffer.alloc(1536, 0x41);
    await assert.rejects(on([], garbage), /the build context is not a tar the agent can read/);
  });

  it("checks a base image's ONBUILD triggers as the build's own lines: a remote ADD, an image the host lacks", async () => {
    const tar = await tarOf({ Dockerfile: 'FROM mine:1\nRUN true\n' });
    await assert.rejects(
      on(['mine:1'], tar, {}, { 'mine:1': ['RUN true', 'ADD http://10.0.0.9/x /x'] }),
      /ONBUILD trigger 2 of mine:1 \(FROM at Dockerfile line 1\) line 1: ADD http:\/\/10.0.0.9\/x is refused/,
    );
    await assert.rejects(
      on(['mine:1'], tar, {}, { 'mine:1': ['COPY --from=10.0.0.9:5000/t /t /t'] }),
      /ONBUILD trigger 1 of mine:1 .* COPY --from 10.0.0.9:5000\/t is not on this host/,
    );
    assert.deepEqual(await on(['mine:1', 'tools:1'], tar, {}, { 'mine:1': ['COPY --from=tools:1 /t /t'] }), [
      'mine:1',
      'tools:1',
    ]);
  });

  it('refuses a Dockerfile over 1 MiB without holding it', async () => {
    const tar = await tarOf({ Dockerfile: Buffer.alloc(MAX_DOCKERFILE_BYTES + 1, 0x20) });
    await assert.rejects(on([], tar), /Dockerfile is 1048577 bytes, over the 1048576 this agent reads/);
  });
});

describe('agent: a remote ADD, however it is written', () => {
  const refused = (text: string) => remoteAddProblem(text, 'Dockerfile');

  it("is found across an escape directive's backtick continuation", () => {
    assert.match(
      refused('# escape=`\nFROM a\nADD `\n  http://10.0.0.1/x /x\n') ?? '',
      /line 3: ADD http:\/\/10.0.0.1\/x is refused/,
    );
  });

  it('is refused when its source is a variable, which Docker expands (an ARG can hold a URL)', () => {
    assert.match(
      refused('FROM a\nARG U=http://10.0.0.1/x\nADD ${U} /x\n') ?? '',
      /line 3: ADD \$\{U\} is refused: a variable could make it a URL/,
    );
    assert.match(refused('FROM a\nADD ["$U", "/x"]\n') ?? '', /ADD \$U is refused/);
  });

  it('lets local ADDs and COPYs through', () => {
    assert.equal(refused('FROM a\nADD app.tar.gz /opt/\nCOPY $HOME/x /y\nadd --chown=1:1 ["a b", "/c"]\n'), null);
  });
});

describe('agent: the build context check, against the ways past it that a review found', () => {
  const evil = 'FROM berth-workspace:latest\nADD http://10.0.0.9/x /x\n';
  const hides = async (files: Record<string, string>, tar?: Buffer) =>
    assert.rejects(on(['berth-workspace:latest', 'a'], tar ?? (await tarOf(files))), /refused|not on this host|link/);

  it('reads the Dockerfile under a leading "/", as lowercase "dockerfile", and every entry of its name', async () => {
    await hides({ '/Dockerfile': evil });
    await hides({ dockerfile: evil });
    // An early end of the archive: Docker stops at it, tar-stream reads on to a clean one.
    const first = await tarOf({ Dockerfile: evil });
    const second = await tarOf({ Dockerfile: 'FROM berth-workspace:latest\n' });
    await hides({}, Buffer.concat([first, second]));
  });

  it('refuses a Dockerfile that is a link, or lies below one', async () => {
    for (const entries of [
      [{ name: 'Dockerfile', type: 'symlink' as const, linkname: 'evil' }],
      [{ name: 'docker', type: 'symlink' as const, linkname: 'evil' }, { name: 'docker/Dockerfile' }],
    ]) {
      const tar = pack();
      for (const entry of entries) tar.entry(entry, 'linkname' in entry ? '' : 'FROM a\n');
      tar.finalize();
      const parts: Buffer[] = [];
      for await (const part of tar) parts.push(part as Buffer);
      const dockerfile = entries.at(-1)?.name ?? 'Dockerfile';
      const run = async () => {
        const options = { args: {}, look: () => Promise.resolve({ onBuild: [], platform: 'linux/amd64' }) };
        for await (const _ of checkedContext(Readable.from([Buffer.concat(parts)]), dockerfile, options)) void _;
      };
      await assert.rejects(run(), /not a plain file|below the link/);
    }
  });

  it('finds a remote ADD however its source is quoted or escaped', () => {
    for (const add of [
      'ADD "http://e/x" /x',
      'ADD h\\ttp://e/x /x',
      `ADD ["'http://e/x'", "/x"]`,
      'ONBUILD ADD http://e/x /x',
    ]) {
      assert.match(remoteAddProblem(`FROM a\n${add}\n`, 'Dockerfile') ?? '', /is refused/, add);
    }
  });

  it('finds what a parser trick would hide from one reading (a BOM, spaces before a directive, odd white space)', () => {
    for (const text of [
      '\uFEFF# escape=`\nFROM a\nADD `\n  http://e/x /x\n',
      '  # escape=`\nFROM a\nADD `\n  http://e/x /x\n',
      '# check=skip=A; error=true\n# escape=`\nFROM a\nADD `\n  http://e/x /x\n',
      'FROM a\nRUN true \\\f\nADD http://e/x /x\n',
      'FROM a\nRUN true \\\\\nADD http://e/x /x\n',
    ]) {
      assert.match(remoteAddProblem(text, 'Dockerfile') ?? '', /http:\/\/e\/x is refused/, JSON.stringify(text));
    }
  });

  it("refuses FROM --platform for another platform than the host's image, or one it cannot read", async () => {
    await assert.rejects(
      on(['a'], await tarOf({ Dockerfile: 'FROM --platform=linux/arm64 a\n' })),
      /the host has a for linux\/amd64 only/,
    );
    assert.deepEqual(await on(['a'], await tarOf({ Dockerfile: 'FROM --platform=linux/amd64 a\n' })), ['a']);
    await assert.rejects(
      on(['a'], await tarOf({ Dockerfile: 'FROM --platform=$BUILDPLATFORM a\n' })),
      /not a platform the agent can check/,
    );
  });

  it('fails, never hangs, on 2 MiB that is not a tar, sent in chunks', async () => {
    const garbage = Buffer.alloc(2 * 1024 * 1024, 0x41);
    const chunks: Buffer[] = [];
    for (let at = 0; at < garbage.length; at += 512 * 1024) chunks.push(garbage.subarray(at, at + 512 * 1024));
    const run = async () => {
      for await (const _ of checkedContext(Readable.from(chunks), 'Dockerfile', HAS_ALL)) void _;
    };
    await assert.rejects(run(), /the build context is not a tar the agent can read/);
  });
});
