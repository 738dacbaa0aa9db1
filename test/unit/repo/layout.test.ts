import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

// The shape ARCHITECTURE.md promises, checked on the source itself: no import circle between files,
// none between the folders of one part, and no source file over 400 lines. (Which part may import
// which is lint's job: eslint.boundaries.mjs.)

const ROOT = path.resolve(__dirname, '../../..');
const PARTS = ['protocol', 'util', 'client', 'agent', 'cli', 'extension'];
const MAX_LINES = 400;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return name.endsWith('.ts') ? [file] : [];
  });
}

const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)'(\.{1,2}(?:\/[^']*)?)'/g;

/** The project files `file` imports (relative specifiers resolved as TypeScript does). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const [, spec] of text.matchAll(SPECIFIER)) {
    const base = path.resolve(path.dirname(file), spec!);
    const target = [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => existsSync(candidate));
    if (target) out.push(target);
  }
  return out;
}

const files = PARTS.flatMap((part) => sourceFiles(path.join(ROOT, part)));
const graph = new Map(files.map((file) => [file, importsOf(file)]));
const rel = (file: string) => path.relative(ROOT, file);

/** One cycle of `edges` as a list of its nodes, or null when there is none. */
function findCycle<T>(nodes: Iterable<T>, edges: (node: T) => Iterable<T>): T[] | null {
  const state = new Map<T, 'open' | 'done'>();
  const stack: T[] = [];
  const visit = (node: T): T[] | null => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges(node)) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of nodes) {
    if (!state.has(node)) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return null;
}

describe('repository: layout', () => {
  it('finds the source files and their imports (the checks below are not vacuous)', () => {
    assert.ok(files.length > 100, `${files.length} files`);
    const imports = [...graph.values()].reduce((sum, list) => sum + list.length, 0);
    assert.ok(imports > 300, `${imports} imports`);
  });

  it('has no import circle between files', () => {
    const cycle = findCycle(graph.keys(), (file) => graph.get(file) ?? []);
    assert.equal(cycle?.map(rel).join(' → '), undefined);
  });

  it('has no circle between the folders of one part (a folder stands above what it uses)', () => {
    for (const part of PARTS) {
      // A folder directly inside the part; files at the part's top level compose the folders and are left out.
      const folderOf = (file: string) => {
        const [top, folder, ...rest] = rel(file).split(path.sep);
        return top === part && folder && rest.length ? folder : null;
      };
      const edges = new Map<string, Set<string>>();
      for (const [file, imports] of graph) {
        const from = folderOf(file);
        if (!from) continue;
        for (const target of imports) {
          const to = folderOf(target);
          if (to && to !== from) edges.set(from, (edges.get(from) ?? new Set()).add(to));
        }
      }
      const cycle = findCycle(edges.keys(), (folder) => edges.get(folder) ?? []);
      assert.equal(cycle?.map((folder) => `${part}/${folder}`).join(' → '), undefined);
    }
  });

  it(`keeps every source file within ${MAX_LINES} lines`, () => {
    const long = files
      .map((file) => ({ file: rel(file), lines: readFileSync(file, 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > MAX_LINES);
    assert.deepEqual(long, []);
  });
});
