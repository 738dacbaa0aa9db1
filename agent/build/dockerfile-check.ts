import * as path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { extract } from 'tar-stream';
import { BerthError } from '../../protocol';
import { allowPullHint } from '../../protocol/image-registry';
import { baseImages, readings, type BaseImage } from './dockerfile-from';

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
  // Every reading (dockerfile-from.ts `readings`): no parser trick hides an ADD from all of them.
  for (const reading of readings(text)) {
    for (const { line, text: instruction } of reading) {
      // An ONBUILD ADD runs in a later build FROM this one (a stage of this file, too).
      const match = /^(?:onbuild[ \t]+)?add[ \t]+(.*)$/i.exec(instruction);
      if (!match?.[1]) continue;
      const rest = match[1].trim().replace(/^(--\S+\s+)*/, ''); // flags (--chown, --checksum) first
      let args: string[];
      try {
        args = rest.startsWith('[') ? (JSON.parse(rest) as unknown[]).map(String) : rest.split(/\s+/);
      } catch {
        args = rest.split(/\s+/);
      }
      const sources = args.filter((arg) => !arg.startsWith('--')).slice(0, -1);
      // Docker takes quotes and escapes out of a source before it looks at it ("http://…", h\ttp://…).
      const remote = sources.find((source) => {
        const plain = source.replace(/["'\\`]/g, '');
        return REMOTE.test(plain) || plain.includes('://') || /git@/i.test(plain);
      });
      if (remote) {
        return `${file} line ${line}: ADD ${remote} is refused: the host's Docker would fetch it from the host's network; download it in a RUN step instead (RUN curl -fLo … or RUN git clone …), which runs in the build container's network`;
      }
      const variable = sources.find((source) => source.includes('$'));
      if (variable) {
        return `${file} line ${line}: ADD ${variable} is refused: a variable could make it a URL, which the host's Docker would fetch from the host's network; use COPY for files of the context, or download in a RUN step`;
      }
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
  look: (ref: string) => Promise<{ onBuild: string[]; platform: string } | null>;
}

/** The refusal of `FROM --platform=` naming another platform than the host's image: Docker would pull that one. */
function platformProblem({ ref, line, platform }: BaseImage, has: string, file: string): string {
  return `${file} line ${line}: FROM --platform=${platform ?? ''} ${ref}: the host has ${ref} for ${has} only, and its Docker would pull the other from the registry its name gives; build for the host's platform (leave --platform out)`;
}

/** The largest Dockerfile the check reads (it is held whole in memory to be read). */
export const MAX_DOCKERFILE_BYTES = 1024 * 1024;

/** The refusal of a base image the host lacks: Docker would pull it from the registry it names. */
function missingImage({ ref, line, instruction }: BaseImage, file: string): string {
  return `${file} line ${line}: ${instruction} ${ref} is not on this host, and the host's Docker would pull it from the registry its name gives, over the host's network; build on an image the host already has, or ask the host's operator to pull it (docker pull ${ref}); ${allowPullHint(ref)}`;
}

/**
 * Passes a build context (a tar) through, reading `dockerfile` from it as it goes; the end of the
 * context is held until the whole tar was read, so Docker, which builds only once it has all of
 * the context, never starts on a Dockerfile that is refused: the stream fails instead. Refused: an
 * `ADD` of a URL (`remoteAddProblem`), and an image it builds on that the host does not have
 * (dockerfile-from.ts): either would make the host's dockerd fetch from an address of its choosing.
 */
export function checkedContext(context: Readable, dockerfile: string, options: CheckOptions): Readable {
  const clean = (name: string) => path.posix.normalize(`/${name}`).slice(1);
  const wanted = clean(dockerfile);
  // Docker falls back to `dockerfile` when the default `Dockerfile` is missing: both are read.
  const names = new Set(wanted === 'Dockerfile' ? [wanted, 'dockerfile'] : [wanted]);
  const reader = extract();
  const problems: string[] = [];
  const bases: BaseImage[] = [];
  const links: string[] = [];
  reader.on('entry', (header, body, next) => {
    const name = clean(header.name);
    if (header.type === 'symlink' || header.type === 'link') links.push(name);
    if (!names.has(name)) {
      body.on('end', next).resume();
      return;
    }
    if (header.type !== 'file') {
      problems.push(
        `${dockerfile} in the context is a ${header.type ?? 'special entry'}, not a plain file; send the Dockerfile itself`,
      );
      body.on('end', next).resume();
      return;
    }
    if (header.size === undefined || header.size > MAX_DOCKERFILE_BYTES) {
      problems.push(
        `${dockerfile} is ${header.size ?? 'of unknown'} bytes, over the ${MAX_DOCKERFILE_BYTES} this agent reads; a Dockerfile is text: keep data in other files of the context`,
      );
      body.on('end', next).resume();
      return;
    }
    const chunks: Buffer[] = [];
    body.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    body.on('end', () => {
      // Every entry of that name is checked: which one Docker reads (the last, or the one before an
      // early end of the archive) is Docker's to choose, so none may be refused.
      const text = Buffer.concat(chunks).toString('utf8');
      const found = baseImages(text, dockerfile, options.args);
      const problem = remoteAddProblem(text, dockerfile) ?? found.problem;
      if (problem) problems.push(problem);
      bases.push(...(found.images ?? []));
      next();
    });
  });
  const read = new Promise<void>((resolve, reject) => reader.once('finish', resolve).once('error', reject));
  read.catch(() => undefined);
  const notTar = (err: unknown) =>
    new BerthError(
      'invalid_params',
      `the build context is not a tar the agent can read (${(err as Error).message}); send it as the berth client does (a plain ustar/pax tar)`,
    );
  // A reader that fails while the stream waits on it would leave the build waiting forever.
  reader.once('error', (err) => checked.destroy(notTar(err)));
  const checked: Transform = new Transform({
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
        const linked = links.find((link) => [...names].some((name) => name === link || name.startsWith(`${link}/`)));
        if (linked) {
          problems.push(
            `${dockerfile} lies at or below the link ${linked} in the context; send the Dockerfile itself, at a path without links`,
          );
        }
        if (problems[0]) return new BerthError('invalid_params', problems[0]);
        for (const base of bases) {
          const image = await options.look(base.ref);
          if (!image) return new BerthError('invalid_params', missingImage(base, dockerfile));
          const mismatch = base.platform !== undefined && base.platform !== image.platform;
          if (mismatch) return new BerthError('invalid_params', platformProblem(base, image.platform, dockerfile));
          if (base.instruction !== 'FROM') continue;
          // A base image's ONBUILD triggers run in this build: each is checked as a line of its own.
          for (const [at, trigger] of image.onBuild.entries()) {
            const where = `ONBUILD trigger ${at + 1} of ${base.ref} (FROM at ${dockerfile} line ${base.line})`;
            const found = baseImages(`FROM scratch\n${trigger}`, where, options.args);
            const trouble = remoteAddProblem(trigger, where) ?? found.problem;
            if (trouble) return new BerthError('invalid_params', trouble);
            for (const from of found.images ?? []) {
              if (!(await options.look(from.ref))) return new BerthError('invalid_params', missingImage(from, where));
            }
          }
        }
        return null;
      };
      read.then(
        // A look at the host's images that fails fails the build: it never goes on unchecked.
        () => refusal().then(done, (err: unknown) => done(err as Error)),
        // Not a tar the check can read: Docker might read it otherwise, so it goes no further.
        (err: unknown) => done(notTar(err)),
      );
    },
  });
  context.once('error', (err) => checked.destroy(err));
  return context.pipe(checked);
}
