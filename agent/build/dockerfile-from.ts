/**
 * The images a Dockerfile builds on that are not its own stages: each `FROM` and each
 * `COPY`/`ADD --from=` naming an image. The classic builder pulls such an image when the host lacks
 * it, from the registry its name gives (`10.0.0.5:5000/x`): an address of the Dockerfile's choosing,
 * reached from the host's network. builder.ts lets a build start only when the host has them all.
 */

/** One image a Dockerfile names, with the line (1-based) and the instruction naming it. */
export interface BaseImage {
  ref: string;
  line: number;
  instruction: 'FROM' | 'COPY --from' | 'ADD --from';
  /** `FROM --platform=`'s `os/arch` (lowercase, variant left out), when it names one. */
  platform?: string;
}

/** What {@link baseImages} found: the images, or why it cannot tell which they are. */
export type BaseImages = { images: BaseImage[]; problem: null } | { images: null; problem: string };

/** `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME:+word}` (Dockerfile variable forms). */
const VARIABLE = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** `text` with its variables replaced from `vars`; null when one is not set and has no default. */
function substitute(text: string, vars: ReadonlyMap<string, string>): string | null {
  let unresolved = false;
  const out = text.replace(
    VARIABLE,
    (_all, braced: string | undefined, op: string | undefined, word: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare) as string;
      const value = vars.get(name);
      if (op === '-') return value ? value : (word ?? '');
      if (op === '+') return value ? (word ?? '') : '';
      if (value === undefined) unresolved = true;
      return value ?? '';
    },
  );
  return unresolved ? null : out;
}

/** White space as Go's `unicode.IsSpace` (Docker's parser) has it: JavaScript's `\s` also counts U+FEFF. */
const SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const BLANK = new RegExp(`^[${SPACE}]*$`);
const COMMENT = new RegExp(`^[${SPACE}]*#`);
const trim = (text: string) => text.replace(new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, 'g'), '');

/**
 * How a Dockerfile's lines continue: `\\` (the default), `` ` `` (the `escape` parser directive), or
 * `none` (each line on its own: a reading that no escape character can hide a line from).
 */
export type LineEscape = '\\' | '`' | 'none';

/** The escape character of `text`'s `escape` parser directive (`# escape=`` ` ``), else `\\`. */
function directiveEscape(lines: readonly string[]): '\\' | '`' {
  let escape: '\\' | '`' = '\\';
  // Parser directives: `# name=value` lines at the very top, before any other line.
  for (const line of lines) {
    const directive = /^#[ \t]*([A-Za-z]+)[ \t]*=[ \t]*(.*?)[ \t]*$/.exec(trim(line));
    if (!directive) break;
    if (directive[1]?.toLowerCase() === 'escape' && (directive[2] === '`' || directive[2] === '\\')) {
      escape = directive[2];
    }
  }
  return escape;
}

/**
 * The Dockerfile's instructions as Docker's parser reads them: a leading byte-order mark dropped, its
 * `escape` parser directive honoured (`# escape=`` ` ``: a backtick, not a backslash, continues a
 * line) unless `escape` says how to read it, continued lines joined (only spaces and tabs may follow
 * the escape), comment and blank lines left out (within a continued instruction too). Each with its
 * first line (1-based).
 */
export function instructions(text: string, escape?: LineEscape): { line: number; text: string }[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const by = escape ?? directiveEscape(lines);
  const continued = by === 'none' ? null : new RegExp(`${by === '`' ? '`' : '\\\\'}[ \\t]*$`);
  const out: { line: number; text: string }[] = [];
  for (let at = 0; at < lines.length; at++) {
    const first = at;
    let line = lines[at] ?? '';
    if (COMMENT.test(line) || BLANK.test(line)) continue;
    while (continued?.test(line) && at + 1 < lines.length) {
      const next = lines[++at] ?? '';
      if (COMMENT.test(next) || BLANK.test(next)) continue; // dropped inside a continued instruction
      line = line.replace(continued, ' ') + next;
    }
    out.push({ line: first + 1, text: trim(continued ? line.replace(continued, '') : line) });
  }
  return out;
}

/**
 * Every reading of `text` the check must pass: Docker's, and the two others (the other escape
 * character, and no continuations), so that a trick of the parser (a directive Docker takes and the
 * check does not, or the reverse) cannot hide a line from all of them.
 */
export function readings(text: string): { line: number; text: string }[][] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const docker = directiveEscape(lines);
  const others: LineEscape[] = (['\\', '`', 'none'] as const).filter((escape) => escape !== docker);
  return [instructions(text, docker), ...others.map((escape) => instructions(text, escape))];
}

/** An image reference as Docker's grammar has it (lowercase path, optional registry, tag, digest). */
const IMAGE_REF =
  /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[a-z0-9]+:[a-f0-9]{32,})?$/;

/**
 * The images of `text` (a Dockerfile) that are not its own stages, with `args` (the build's
 * arguments) for the variables of `FROM` lines: only `ARG`s before the first `FROM` count there, as
 * in Docker. `scratch` is no image. A name the agent cannot resolve (an argument with no value) is a
 * problem, named with its line, rather than a guess.
 */
export function baseImages(text: string, file: string, args: Readonly<Record<string, string>>): BaseImages {
  const all = readings(text);
  // Stage names any reading declares are stages for all of them (a reading without continuations
  // loses an `AS name` on a continued line).
  const stages = new Set<string>();
  for (const reading of all) imagesOf(reading, file, args, stages);
  const [docker, ...others] = all;
  const found = imagesOf(docker ?? [], file, args, stages);
  if (found.problem !== null) return found;
  // The other readings add what they find that is an image name (not every line they make is one).
  const seen = new Set(found.images.map((image) => image.ref));
  for (const reading of others) {
    for (const image of imagesOf(reading, file, args, stages).images ?? []) {
      if (seen.has(image.ref) || !IMAGE_REF.test(image.ref)) continue;
      seen.add(image.ref);
      found.images.push(image);
    }
  }
  return found;
}

/** The images of one reading of a Dockerfile (see {@link baseImages}); its stage names are added to `stages`. */
function imagesOf(
  reading: readonly { line: number; text: string }[],
  file: string,
  args: Readonly<Record<string, string>>,
  stages: Set<string>,
): BaseImages {
  const globals = new Map<string, string>();
  const images: BaseImage[] = [];
  let seenFrom = false;
  for (const { line, text: instruction } of reading) {
    let [keyword = '', ...rest] = instruction.split(/[ \t]+/);
    // An ONBUILD trigger runs in a later build FROM this stage: its --from is checked here too.
    if (keyword.toUpperCase() === 'ONBUILD') [keyword = '', ...rest] = rest;
    const word = keyword.toUpperCase();
    if (word === 'ARG' && !seenFrom) {
      for (const declaration of rest) {
        const eq = declaration.indexOf('=');
        const name = eq === -1 ? declaration : declaration.slice(0, eq);
        // A default may use the ARGs before it (ARG BASE=alpine:${V}), as in Docker.
        const fallback =
          eq === -1 ? undefined : substitute(declaration.slice(eq + 1).replace(/^(["'])(.*)\1$/, '$2'), globals);
        const value = Object.hasOwn(args, name) ? args[name] : (fallback ?? undefined);
        if (value !== undefined) globals.set(name, value);
      }
    } else if (word === 'FROM') {
      seenFrom = true;
      const flags = rest.filter((part) => part.startsWith('--'));
      const words = rest.filter((part) => !part.startsWith('--'));
      const named = words[0];
      if (!named) return { images: null, problem: `${file} line ${line}: FROM names no image` };
      const ref = substitute(named, globals);
      if (ref === null || !ref) {
        return {
          images: null,
          problem: `${file} line ${line}: FROM ${named} uses a build argument with no value; give it (--build-arg, or ARG NAME=default before the first FROM)`,
        };
      }
      const given = flags.map((flag) => /^--platform=(.*)$/i.exec(flag)?.[1]).find((value) => value !== undefined);
      if (given !== undefined && !/^[a-z0-9_]+\/[a-z0-9_]+(\/[a-z0-9_]+)?$/i.test(given)) {
        return {
          images: null,
          problem: `${file} line ${line}: FROM --platform=${given} is not a platform the agent can check (os/arch, such as linux/amd64); build for the host's platform (leave --platform out)`,
        };
      }
      if (ref.toLowerCase() !== 'scratch' && !stages.has(ref.toLowerCase())) {
        const platform = given?.toLowerCase().split('/').slice(0, 2).join('/');
        images.push({ ref, line, instruction: 'FROM', ...(platform ? { platform } : {}) });
      }
      if (words[1]?.toUpperCase() === 'AS' && words[2]) stages.add(words[2].toLowerCase());
    } else if (word === 'COPY' || word === 'ADD') {
      for (const flag of rest) {
        const from = /^--from=(.+)$/i.exec(flag)?.[1];
        if (!from || /^\d+$/.test(from) || stages.has(from.toLowerCase())) continue;
        if (from.includes('$')) {
          return {
            images: null,
            problem: `${file} line ${line}: ${word} --from=${from} uses a variable; name the stage or image itself`,
          };
        }
        images.push({ ref: from, line, instruction: word === 'COPY' ? 'COPY --from' : 'ADD --from' });
      }
    }
  }
  return { images, problem: null };
}
