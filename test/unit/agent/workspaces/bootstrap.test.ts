import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { shellQuote } from '../../../../agent/workspaces/bootstrap';

/** What a POSIX shell makes of `printf %s QUOTED`. */
const throughShell = (value: string) =>
  execFileSync('sh', ['-c', `printf %s ${shellQuote(value)}`], { encoding: 'utf8' });

describe('agent: shell quoting for the workspace environment', () => {
  const values: [string, string][] = [
    ['plain', 'plain'],
    ['a single quote', "it's here"],
    ['only single quotes', "''"],
    ['double quotes', 'say "hi"'],
    ['spaces and tabs', ' a  b\tc '],
    ['a dollar', '$HOME ${PATH} $(id)'],
    ['backticks', '`id`'],
    ['backslashes', 'C:\\dir\\n'],
    ['newlines', 'line one\nline two\n'],
    ['globs and operators', '* ? [a] ; & | > < ( ) #'],
    ['an exclamation mark', 'hi!'],
    ['non-ASCII text', 'café ✓ 日本'],
    ['an empty string', ''],
    ['a leading dash', '-n'],
  ];
  for (const [what, value] of values) {
    it(`round-trips ${what} through sh -c 'printf %s …'`, () => {
      assert.equal(throughShell(value), value);
    });
  }

  it('round-trips through an export line sourced by the shell, as the env file is', () => {
    const value = 'it\'s $HOME\n`id` "x"';
    const script = `export GREETING=${shellQuote(value)}\nprintf %s "$GREETING"`;
    assert.equal(execFileSync('sh', ['-c', script], { encoding: 'utf8' }), value);
  });
});
