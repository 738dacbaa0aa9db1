// Which top-level part may import which (ARCHITECTURE.md, "The parts and their arrows"): imports only
// point down. One `no-restricted-imports` block per part; `test/unit/repo/eslint-boundaries.test.ts` checks
// that a bad import fails lint.
//
//   extension → client, protocol, util      cli → agent, client, protocol, util
//   agent → protocol, util                  client → protocol, util
//   util, protocol → nothing of Berth       nobody imports extension/; only cli/ imports agent/

const NODE = ['node:*', 'fs', 'path', 'os', 'net', 'http', 'crypto', 'child_process'];

/** The import patterns that name one of the project's top-level parts (from any depth). */
const part = (name) => [`../${name}`, `../${name}/**`, `**/../${name}`, `**/../${name}/**`];

const forbid = (parts, why) => ({ group: parts.flatMap(part), message: why });

/** @type {Record<string, { files: string[], patterns: object[] }>} */
export const boundaries = {
  protocol: {
    files: ['protocol/**/*.ts'],
    patterns: [
      { group: NODE, message: 'protocol/ does no I/O: keep Node out of it.' },
      { group: ['vscode'], message: 'protocol/ is shared by every part: keep vscode out of it.' },
      forbid(['util', 'client', 'agent', 'cli', 'extension'], 'protocol/ depends on nothing of the project.'),
    ],
  },
  util: {
    files: ['util/**/*.ts'],
    patterns: [
      { group: ['vscode'], message: 'util/ is plain Node: keep vscode out of it.' },
      forbid(['protocol', 'client', 'agent', 'cli', 'extension'], 'util/ holds node helpers with no Berth knowledge.'),
    ],
  },
  client: {
    files: ['client/**/*.ts'],
    patterns: [
      { group: ['vscode'], message: 'client/ is shared by the CLI and the extension: keep vscode out of it.' },
      forbid(['agent', 'cli', 'extension'], 'client/ may import only protocol/ and util/.'),
    ],
  },
  agent: {
    files: ['agent/**/*.ts'],
    patterns: [
      { group: ['vscode'], message: 'agent/ is the daemon: keep vscode out of it.' },
      forbid(['client', 'cli', 'extension'], 'agent/ is the daemon alone: it may import only protocol/ and util/.'),
    ],
  },
  cli: {
    files: ['cli/**/*.ts'],
    patterns: [
      { group: ['vscode'], message: 'cli/ runs outside VS Code: keep vscode out of it.' },
      forbid(['extension'], 'cli/ may import agent/, client/, protocol/ and util/, never extension/.'),
    ],
  },
  extension: {
    files: ['extension/**/*.ts'],
    patterns: [forbid(['agent', 'cli'], 'extension/ reaches agents through client/; it never imports a program.')],
  },
};

/** The flat-config blocks that enforce {@link boundaries}. */
export const boundaryConfigs = Object.values(boundaries).map(({ files, patterns }) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
}));
