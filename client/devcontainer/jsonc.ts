// The ESM entry: the package's UMD main requires its parts by computed paths, which a bundle cannot follow.
import {
  findNodeAtLocation,
  getNodeValue,
  parseTree,
  printParseErrorCode,
  type Node,
  type ParseError,
} from 'jsonc-parser/lib/esm/main.js';
import { BerthError } from '../../protocol';

/** A parsed JSONC document: its value, and where each part of it stands in the file. */
export interface JsoncDocument {
  file: string;
  value: Record<string, unknown>;
  /** `file:line:col` of the value at `path` (of the closest part of it that exists). */
  at(path: (string | number)[]): string;
}

/** Words for jsonc-parser's error codes. */
const WORDS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'a property name (in double quotes) expected',
  ValueExpected: 'a value expected',
  ColonExpected: '":" expected',
  CommaExpected: '"," expected',
  CloseBraceExpected: '"}" expected',
  CloseBracketExpected: '"]" expected',
  EndOfFileExpected: 'end of file expected (something follows the closing "}")',
  InvalidCommentToken: 'malformed comment',
  UnexpectedEndOfComment: 'comment not closed ("*/" missing)',
  UnexpectedEndOfString: 'string not closed (closing " missing)',
  UnexpectedEndOfNumber: 'number cut off',
  InvalidUnicode: 'malformed \\u escape',
  InvalidEscapeCharacter: 'malformed escape character',
  InvalidCharacter: 'a control character inside a string',
};

/** `line:col` (both from 1) of `offset` in `text`. */
export function lineColumn(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      start = i + 1;
    }
  }
  return `${line}:${offset - start + 1}`;
}

/**
 * Parses `text` as the devcontainer spec reads it: JSON with comments and trailing commas. A syntax
 * error is `invalid_params` naming `file:line:col` and what is wrong; so is a top level that is not
 * an object.
 */
export function parseJsonc(text: string, file: string): JsoncDocument {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) {
    const code = printParseErrorCode(first.error);
    throw new BerthError(
      'invalid_params',
      `${file}:${lineColumn(text, first.offset)}: ${WORDS[code] ?? code}; fix the JSON there (comments and trailing commas are allowed)`,
    );
  }
  if (!tree || tree.type !== 'object') {
    throw new BerthError('invalid_params', `${file}:1:1: a devcontainer.json must hold one JSON object ({ … })`);
  }
  const value = getNodeValue(tree) as Record<string, unknown>;
  const at = (path: (string | number)[]): string => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node: Node | undefined = findNodeAtLocation(tree, path.slice(0, depth));
      // A property's value node: point at its key (the property node), which is where people look.
      const target = node?.parent?.type === 'property' ? node.parent : node;
      if (target) return `${file}:${lineColumn(text, target.offset)}`;
    }
    return `${file}:1:1`;
  };
  return { file, value, at };
}
