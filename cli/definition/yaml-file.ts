import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { BerthError, WorkspaceSpecInput } from '../../protocol';
import { DOCUMENT_PATH, WorkspaceFile, specOf } from './schema';

/** A definition file bigger than this is refused before it is parsed (a real one is a few hundred bytes). */
export const MAX_FILE_BYTES = 256 * 1024;

/** One problem of a file, where it is: `workspace.yaml:4:3: resources.memory: "8x" is not a size…`. */
export interface FileProblem {
  line: number;
  col: number;
  message: string;
}

/** Reads and checks a workspace.yaml; every problem is reported at once, each with its line and column. */
export async function readWorkspaceFile(path: string): Promise<WorkspaceFile> {
  let text: string;
  try {
    const buffer = await readFile(path);
    if (buffer.length > MAX_FILE_BYTES) {
      throw new BerthError(
        'invalid_params',
        `${path}: ${buffer.length} bytes is too big for a workspace definition (at most ${MAX_FILE_BYTES})`,
      );
    }
    text = buffer.toString('utf8');
  } catch (err) {
    if (err instanceof BerthError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : (err as Error).message;
    throw new BerthError(
      'invalid_params',
      `${path}: ${why}; give the path of a workspace.yaml (berth init writes one)`,
    );
  }
  return parseWorkspaceFile(text, path);
}

/** Parses the text of a workspace.yaml (`path` only names it in errors). */
export function parseWorkspaceFile(text: string, path: string): WorkspaceFile {
  const lines = new LineCounter();
  // One document; aliases are expanded at most a little (a "billion laughs" file is refused).
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lines.linePos(offset);
  const problems: FileProblem[] = doc.errors.map((error) => {
    const { line, col } = at(error.pos[0]);
    return { line, col, message: firstLine(error.message) };
  });
  if (!problems.length) {
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      problems.push({ line: 1, col: 1, message: (err as Error).message });
    }
    if (!problems.length) {
      if (!data || typeof data !== 'object' || Array.isArray(data)) {
        problems.push({ line: 1, col: 1, message: 'expected a mapping of keys such as name:, image: and resources:' });
      } else {
        const parsed = WorkspaceFile.safeParse(data);
        if (parsed.success) {
          // The spec's own rules (name, image reference, limits), at the keys they came from.
          const spec = WorkspaceSpecInput.safeParse(specOf(parsed.data));
          if (spec.success) return parsed.data;
          for (const issue of spec.error.issues) {
            const [field = '', ...rest] = issue.path;
            const path = [...(DOCUMENT_PATH[String(field)] ?? [String(field)]), ...rest];
            problems.push(locate(doc, { ...issue, path }, at));
          }
        } else for (const issue of parsed.error.issues) problems.push(locate(doc, issue, at));
      }
    }
  }
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  throw new BerthError('invalid_params', problems.map((p) => `${path}:${p.line}:${p.col}: ${p.message}`).join('\n'), {
    problems: problems.length,
  });
}

/** Where a schema issue points: the value it is about, the key for an unknown key, the parent for a missing one. */
function locate(
  doc: Document,
  issue: z.core.$ZodIssue,
  at: (offset: number) => { line: number; col: number },
): FileProblem {
  const path = issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part));
  const label = path.length ? `${path.join('.')}: ` : '';
  if (issue.code === 'unrecognized_keys') {
    const parent = path.length ? doc.getIn(path, true) : doc.contents;
    const key = issue.keys[0] ?? '';
    const pair = isMap(parent) ? parent.items.find((item) => isScalar(item.key) && item.key.value === key) : undefined;
    const node = (pair?.key as Node | undefined) ?? (parent as Node | undefined);
    const where = node?.range ? at(node.range[0]) : { line: 1, col: 1 };
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return {
      ...where,
      message: `${label}unknown key ${keys}; check its spelling (berth init writes every key with a comment)`,
    };
  }
  let node: unknown;
  for (let depth = path.length; depth >= 0 && !(node as Node | undefined)?.range; depth--) {
    node = depth ? doc.getIn(path.slice(0, depth), true) : doc.contents;
  }
  const where = (node as Node | undefined)?.range ? at((node as Node).range![0]) : { line: 1, col: 1 };
  const message =
    issue.code === 'invalid_type' && issue.input === undefined
      ? 'is missing'
      : issue.code === 'invalid_key'
        ? `the name ${issue.issues[0]?.message ?? 'is not valid'}`
        : issue.message;
  return { ...where, message: `${label}${message}` };
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
