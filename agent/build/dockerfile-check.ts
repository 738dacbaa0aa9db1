import * as path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { extract } from 'tar-stream';
import { BerthError } from '../../protocol';

/** A source Docker's daemon itself would fetch: a URL (`https://…`, `git://…`) or a git SSH address. */
const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i;

/**
 * The first `ADD` of a remote source in `text` (a Dockerfile), as a one-line refusal; null when none.
 * Such a download is made by the host's dockerd from the host's network, at an address of the
 * user's choosing; a RUN step downloads in the build container's network instead.
 */
export function remoteAddProblem(text: string, file: string): string | null {
  const lines = text.split('\n');
  for (let at = 0; at < lines.length; at++) {
    const first = at;
    let line = lines[at] ?? '';
    while (/\\\s*$/.test(line) && at + 1 < lines.length) line = line.replace(/\\\s*$/, ' ') + (lines[++at] ?? '');
    const match = /^\s*add\s+(.*)$/i.exec(line);
    if (!match?.[1]) continue;
    const rest = match[1].trim().replace(/^(--\S+\s+)*/, ''); // flags (--chown, --checksum) first
    let args: string[];
    try {
      args = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
    } catch {
      args = rest.split(/\s+/);
    }
    const sources = args.filter((arg) => !arg.startsWith('--')).slice(0, -1);
    const remote = sources.find((source) => REMOTE.test(String(source)));
    if (remote) {
      return `${file} line ${first + 1}: ADD ${remote} is refused: the host's Docker would fetch it from the host's network; download it in a RUN step instead (RUN curl -fLo … or RUN git clone …), which runs in the build container's network`;
    }
  }
  return null;
}

/**
 * Passes a build context (a tar) through, reading `dockerfile` from it as it goes; the end of the
 * context is held until the whole tar was read, so Docker, which builds only once it has all of
 * the context, never starts on a Dockerfile that `remoteAddProblem` refuses: the stream fails instead.
 */
export function checkedContext(context: Readable, dockerfile: string): Readable {
  const wanted = path.posix.normalize(dockerfile).replace(/^\.\//, '');
  const reader = extract();
  let problem: string | null = null;
  reader.on('entry', (header, body, next) => {
    const name = path.posix.normalize(header.name).replace(/^\.\//, '');
    if (name !== wanted || header.type !== 'file') {
      body.on('end', next).resume();
      return;
    }
    const chunks: Buffer[] = [];
    body.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    body.on('end', () => {
      problem = remoteAddProblem(Buffer.concat(chunks).toString('utf8'), dockerfile);
      next();
    });
  });
  const read = new Promise<void>((resolve, reject) => reader.once('finish', resolve).once('error', reject));
  read.catch(() => undefined);
  const checked = new Transform({
    // Room on the way in for a few of the client's chunks (512 KiB), so that Docker never waits on
    // this step; on the way out the chunk Docker reads next is enough (the one buffer is what counts,
    // and `highWaterMark` would give both sides 4 MiB: twice the memory, no more speed).
    writableHighWaterMark: 4 * 1024 * 1024,
    readableHighWaterMark: 64 * 1024,
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      if (reader.write(chunk)) return done(null, chunk);
      reader.once('drain', () => done(null, chunk));
    },
    flush(done: TransformCallback) {
      reader.end(Buffer.alloc(0));
      read.then(
        () => done(problem ? new BerthError('invalid_params', problem) : null),
        () => done(), // Not a tar we can read: Docker says what is wrong with it.
      );
    },
  });
  context.once('error', (err) => checked.destroy(err));
  return context.pipe(checked);
}
