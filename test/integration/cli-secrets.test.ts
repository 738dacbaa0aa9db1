import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultSecretsRunDir } from '../../agent/secrets/stage';
import { BERTH } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

/** `berth ARGS` with `input` on its stdin (a pipe). */
function berthWith(args: string[], env: NodeJS.ProcessEnv, input = '') {
  const result = spawnSync(process.execPath, [BERTH, ...args], {
    env: { ...process.env, ...env },
    input,
    encoding: 'utf8',
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

describe('cli: berth secret set, ls, rm', function () {
  this.timeout(120_000);
  const agent = useAgent();
  let env: NodeJS.ProcessEnv;
  let runDir = '';

  before(() => {
    runDir = defaultSecretsRunDir(agent.stateDir);
    env = cliEnv(agent.url, agent.token('carol'));
  });

  after(async () => {
    // Runs once the agent is gone (hooks after useAgent's): its containers are removed by then.
    if (runDir) await fs.rm(runDir, { recursive: true, force: true });
  });

  it('sets a value piped on stdin (without its last newline) and lists names only', async () => {
    const set = berthWith(['secret', 'set', 'TOKEN'], env, 'piped-value-1\n');
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'Set secret TOKEN.\n');
    const ls = berthWith(['secret', 'ls'], env);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^NAME\s+CREATED\s+UPDATED\s+USED BY\nTOKEN\s/);
    assert.ok(!ls.stdout.includes('piped-value-1'));
    const json = berthWith(['secret', 'ls', '--json'], env);
    assert.ok(!json.stdout.includes('piped-value-1'));
    // Read back through a workspace would need a container; the create test does that. Here: the reply.
    const again = berthWith(['secret', 'set', 'TOKEN'], env, 'piped-value-2');
    assert.equal(again.stdout, 'Updated secret TOKEN.\n');
  });

  it('sets a value from a file as is, newlines included', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-secret-file-'));
    try {
      const file = path.join(dir, 'key');
      await fs.writeFile(file, 'line one\nline two\n');
      const set = berthWith(['secret', 'set', 'deploy-key', '--from-file', file], env);
      assert.equal(set.code, 0, set.stderr);
      const missing = berthWith(['secret', 'set', 'X', '--from-file', path.join(dir, 'none')], env);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /--from-file .*none: no such file/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('asks on a terminal without echoing what is typed', async function () {
    if (spawnSync('script', ['--version']).status !== 0) this.skip();
    const command = `${process.execPath} ${BERTH} secret set TYPED`;
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await waitFor('the prompt', () => output.includes('Value (not shown): '));
    child.stdin.write('typed-value-9\r');
    assert.equal(await exited, 0, output);
    assert.ok(!output.includes('typed-value-9'), `the value was echoed:\n${output}`);
    assert.match(output, /Set secret TYPED\./);
  });

  it('refuses hostile input in one line: a bad name, an empty or oversized value', () => {
    const bad = berthWith(['secret', 'set', '../etc'], env, 'v');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /name: must be 1–64 letters/);
    const empty = berthWith(['secret', 'set', 'EMPTY'], env, '');
    assert.match(empty.stderr, /the value of EMPTY is empty; nothing set/);
    const huge = berthWith(['secret', 'set', 'HUGE'], env, `huge-${'x'.repeat(70 * 1024)}`);
    assert.equal(huge.code, 1);
    assert.match(huge.stderr, /value: must be at most 64 KiB/);
    assert.ok(!huge.stderr.includes('huge-'));
  });

  it('creates with --secret, names the running workspaces a new value waits for, and refuses to remove a used one', () => {
    assert.equal(berthWith(['secret', 'set', 'USED'], env, 'first').code, 0);
    const create = berthWith(['create', 'web', '--secret', 'USED=USED_VAR', '--memory', '256m', '--cpus', '1'], env);
    assert.equal(create.code, 0, create.stderr);
    const set = berthWith(['secret', 'set', 'USED'], env, 'second');
    assert.equal(set.code, 0, set.stderr);
    assert.match(
      set.stdout,
      /^Updated secret USED\.\nRunning workspaces keep the old value until their next start: web/,
    );
    assert.match(berthWith(['secret', 'ls'], env).stdout, /\nUSED\s.*\sweb\n/);
    const rm = berthWith(['secret', 'rm', 'USED'], env);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /secret USED is used by "web"/);
  });

  it('refuses a create with an unknown secret, and removes a secret nothing uses', () => {
    const create = berthWith(['create', 'other', '--secret', 'NOPE'], env);
    assert.equal(create.code, 1);
    assert.match(create.stderr, /secret NOPE is not set; set it first \(berth secret set NOPE\)/);
    const rm = berthWith(['secret', 'rm', 'TOKEN'], env);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, 'Removed secret TOKEN.\n');
    const again = berthWith(['secret', 'rm', 'TOKEN'], env);
    assert.match(again.stderr, /you have no secret TOKEN/);
  });
});
