import * as path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { extract } from 'tar-stream';
import { BerthError } from '../../protocol';
import { baseImages, instructions, type BaseImage } from './dockerfile-from';

/** A source Docker's daemon itself would fetch: a URL (`https://…`, `git://…`) or a git SSH address. */
const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i;

/**
 * The first `ADD` of a remote source in `text` (a Dockerfile, or a base image's ONBUILD triggers, a
 * line each), as a one-line refusal; null when none. Such a download is made by the host's dockerd
 * from the host's network, at an address of the user's choosing; a RUN step downloads in the build
 * container's network instead. A source with a variable is refused too: Docker expands it (an
 * `ARG` can hold a URL), and the agent cannot tell what it becomes.
 */
export function remoteAddProblem(text: string, file: string): string | null {
  for (const { line, text: instruction } of instructions(text)) {
    const match = /^add\s+(.*)$/i.exec(instruction);
    if (!match?.[1]) continue;
    const rest = match[1].trim().replace(/^(--\S+\s+)*/, ''); // flags (--chown, --checksum) first
    let args: string[];
    try {
      args = rest.startsWith('[') ? (JSON.parse(rest) as unknown[]).map(String) : rest.split(/\s+/);
    } catch {
      args = rest.split(/\s+/);
    }
    const sources = args.filter((arg) => !arg.startsWith('--')).slice(0, -1);
    const remote = sources.find((source) => REMOTE.test(source));
    if (remote) {
      return `${file} line ${line}: ADD ${remote} is refused: the host's Docker would fetch it from the host's network; download it in a RUN step instead (RUN curl -fLo … or RUN git clone …), which runs in the build container's network`;
    }
    const variable = sources.find((source) => source.includes('$'));
    if (variable) {
      return `${file} line ${line}: ADD ${variable} is refused: a variable could make it a URL, which the host's Docker would fetch from the host's network; use COPY for files of the context, or download in a RUN step`;
    }
  }
  return null;
}

/** What the check needs to know of the build beyond its Dockerfile. */
export interface CheckOptions {
  /** The build's arguments (for `FROM ${ARG}`). */
  args: Readonly<Record<string, string>>;
  /**
   * The image `ref` as the host has it: its `ONBUILD` triggers (which run in a build FROM it), or
   * null when the host does not have it (Docker would pull it).
   */
  look: (ref: string) => Promise<{ onBuild: string[] } | null>;
}

/** The largest Dockerfile the check reads (it is held whole in memory to be read). */
export const MAX_DOCKERFILE_BYTES = 1024 * 1024;

/** The refusal of a base image the host lacks: Docker would pull it from the registry it names. */
function missingImage({ ref, line, instruction }: BaseImage, file: string): string {
  return `${file} line ${line}: ${instruction} ${ref} is not on this host, and the host's Docker would pull it from the registry its name gives, over the host's network; build on an image the host already has, or ask the host's operator to pull it (docker pull ${ref})`;
}

/**
 * Passes a build context (a tar) through, reading `dockerfile` from it as it goes; the end of the
 * context is held until the whole tar was read, so Docker, which builds only once it has all of
 * the context, never starts on a Dockerfile that is refused: the stream fails instead. Refused: an
 * `ADD` of a URL (`remoteAddProblem`), and an image it builds on that the host does not have
 * (dockerfile-from.ts): either would make the host's dockerd fetch from an address of its choosing.
 */
export function checkedContext(context: Readable, dockerfile: string, options: CheckOptions): Readable {
  const wanted = path.posix.normalize(dockerfile).replace(/^\.\//, '');
  const reader = extract();
  let problem: string | null = null;
  let bases: BaseImage[] = [];
  reader.on('entry', (header, body, next) => {
    const name = path.posix.normalize(header.name).replace(/^\.\//, '');
    if (name !== wanted || header.type !== 'file') {
      body.on('end', next).resume();
      return;
    }
    if (header.size === undefined || header.size > MAX_DOCKERFILE_BYTES) {
      problem = `${dockerfile} is ${header.size ?? 'of unknown'} bytes, over the ${MAX_DOCKERFILE_BYTES} this agent reads; a Dockerfile is text: keep data in other files of the context`;
      bases = [];
      body.on('end', next).resume();
      return;
    }
    const chunks: Buffer[] = [];
    body.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    body.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const found = baseImages(text, dockerfile, options.args);
      // A later entry of the same name is the one Docker reads: its findings replace these.
      problem = remoteAddProblem(text, dockerfile) ?? found.problem;
      bases = found.images ?? [];
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
      const refusal = async (): Promise<Error | null> => {
        if (problem) return new BerthError('invalid_params', problem);
        for (const base of bases) {
          const image = await options.look(base.ref);
          if (!image) return new BerthError('invalid_params', missingImage(base, dockerfile));
          if (base.instruction !== 'FROM' || !image.onBuild.length) continue;
          // A base image's ONBUILD triggers run in this build: they are checked as its own lines.
          const where = `the ONBUILD triggers of ${base.ref} (FROM at ${dockerfile} line ${base.line})`;
          const triggers = image.onBuild.join('\n');
          const found = baseImages(`FROM scratch\n${triggers}`, where, options.args);
          const trouble = remoteAddProblem(triggers, where) ?? found.problem;
          if (trouble) return new BerthError('invalid_params', trouble);
          for (const from of found.images ?? []) {
            if (!(await options.look(from.ref))) return new BerthError('invalid_params', missingImage(from, where));
          }
        }
        return null;
      };
      read.then(
        // A look at the host's images that fails fails the build: it never goes on unchecked.
        () => refusal().then(done, (err: unknown) => done(err as Error)),
        // Not a tar the check can read: Docker might read it otherwise, so it goes no further.
        (err: unknown) =>
          done(
            new BerthError(
              'invalid_params',
              `the build context is not a tar the agent can read (${(err as Error).message}); send it as the berth client does (a plain ustar/pax tar)`,
            ),
          ),
      );
    },
  });
  context.once('error', (err) => checked.destroy(err));
  return context.pipe(checked);
}
