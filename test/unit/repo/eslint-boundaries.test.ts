import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

// The import arrows between the parts are enforced by lint (eslint.boundaries.mjs): each bad import
// below must fail, each allowed one pass.

const ROOT = path.resolve(__dirname, '../../..');

async function lint(file: string, code: string): Promise<string[]> {
  const { boundaryConfigs } = (await import(path.join(ROOT, 'eslint.boundaries.mjs'))) as {
    boundaryConfigs: Linter.Config[];
  };
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...boundaryConfigs],
  });
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result!.messages.map((message) => message.message);
}

const refused: [string, string][] = [
  ['agent/gpu/probe.ts', "import { activate } from '../../extension/extension';"],
  ['agent/server/x.ts', "import { main } from '../../cli/main';"],
  ['agent/x.ts', "import { AgentClient } from '../client/agent-client';"],
  ['client/ssh/x.ts', "import { defaultConfig } from '../../agent/config';"],
  ['client/x.ts', "import * as vscode from 'vscode';"],
  ['cli/commands/x.ts', "import { activate } from '../../extension/extension';"],
  ['extension/hosts/x.ts', "import { defaultConfig } from '../../agent/config';"],
  ['extension/x.ts', "import { main } from '../cli/main';"],
  ['util/x.ts', "import { BerthError } from '../protocol';"],
  ['protocol/x.ts', "import { log } from '../util/log';"],
  ['protocol/x.ts', "import * as fs from 'node:fs';"],
];

const allowed: [string, string][] = [
  ['cli/commands/serve.ts', "import { startAgent } from '../../agent/agent';"],
  ['cli/x.ts', "import { AgentClient } from '../client/agent-client';"],
  ['extension/hosts/x.ts', "import { RemoteHost } from '../../client/remote-host';"],
  ['agent/state/x.ts', "import { writeFileAtomic } from '../../util/files';"],
  ['client/x.ts', "import { BerthError } from '../protocol';"],
  ['protocol/x.ts', "import { Spec } from './spec';"],
];

describe('lint: the import arrows between parts (eslint.boundaries.mjs)', function () {
  this.timeout(30_000);
  for (const [file, code] of refused) {
    it(`refuses in ${file}: ${code}`, async () => {
      const messages = await lint(file, code);
      assert.equal(messages.length, 1, `expected one error, got ${JSON.stringify(messages)}`);
      assert.match(messages[0]!, /restricted/);
    });
  }
  for (const [file, code] of allowed) {
    it(`allows in ${file}: ${code}`, async () => {
      assert.deepEqual(await lint(file, code), []);
    });
  }
});
