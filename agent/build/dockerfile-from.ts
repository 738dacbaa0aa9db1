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

/**
 * The Dockerfile's instructions as Docker's parser reads them: its `escape` parser directive honoured
 * (`# escape=`` ` ``: a backtick, not a backslash, continues a line), continued lines joined, comment
 * and blank lines left out (within a continued instruction too). Each with its first line (1-based).
 */
export function instructions(text: string): { line: number; text: string }[] {
  const lines = text.split(/\r?\n/);
  let escape = '\\';
  // Parser directives: `# name=value` lines at the very top, before any other line.
  for (const line of lines) {
    const directive = /^#\s*([A-Za-z]+)\s*=\s*(\S*)\s*$/.exec(line);
    if (!directive) break;
    if (directive[1]?.toLowerCase() === 'escape' && (directive[2] === '`' || directive[2] === '\\')) {
      escape = directive[2];
    }
  }
  const continued = new RegExp(`${escape === '`' ? '`' : '\\\\'}\\s*$`);
  const out: { line: number; text: string }[] = [];
  for (let at = 0; at < lines.length; at++) {
    const first = at;
    let line = lines[at] ?? '';
    if (/^\s*#/.test(line) || !line.trim()) continue;
    while (continued.test(line) && at + 1 < lines.length) {
      const next = lines[++at] ?? '';
      if (/^\s*#/.test(next) || !next.trim()) continue; // dropped inside a continued instruction
      line = line.replace(continued, ' ') + next;
    }
    out.push({ line: first + 1, text: line.replace(continued, '').trim() });
  }
  return out;
}

/**
 * The images of `text` (a Dockerfile) that are not its own stages, with `args` (the build's
 * arguments) for the variables of `FROM` lines: only `ARG`s before the first `FROM` count there, as
 * in Docker. `scratch` is no image. A name the agent cannot resolve (an argument with no value) is a
 * problem, named with its line, rather than a guess.
 */
export function baseImages(text: string, file: string, args: Readonly<Record<string, string>>): BaseImages {
  const globals = new Map<string, string>();
  const stages = new Set<string>();
  const images: BaseImage[] = [];
  let seenFrom = false;
  for (const { line, text: instruction } of instructions(text)) {
    const [keyword = '', ...rest] = instruction.split(/\s+/);
    const word = keyword.toUpperCase();
    if (word === 'ARG' && !seenFrom) {
      for (const declaration of rest) {
        const eq = declaration.indexOf('=');
        const name = eq === -1 ? declaration : declaration.slice(0, eq);
        const fallback = eq === -1 ? undefined : declaration.slice(eq + 1).replace(/^(["'])(.*)\1$/, '$2');
        const value = Object.hasOwn(args, name) ? args[name] : fallback;
        if (value !== undefined) globals.set(name, value);
      }
    } else if (word === 'FROM') {
      seenFrom = true;
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
      if (ref.toLowerCase() !== 'scratch' && !stages.has(ref.toLowerCase())) {
        images.push({ ref, line, instruction: 'FROM' });
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
