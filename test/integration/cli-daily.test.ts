import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { Workspace } from '../../protocol';
import { spawn, spawnSync } from 'node:child_process';
import { BERTH, berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { sshKeyPair } from '../support/ssh';
import { useAgent } from '../support/use-agent';

type Run = ReturnType<typeof berth>;

/** Asserts success and returns stdout. */
function succeeds(run: Run): string {
  assert.equal(run.code, 0, `exit code ${run.code}; stderr:\n${run.stderr}`);
  return run.stdout;
}

describe('cli: a first week of daily use', function () {
  this.timeout(120_000);
  const agent = useAgent();
  let env: NodeJS.ProcessEnv;
  const as = (args: string[]) => berth(args, env);
  const key = sshKeyPair();
  const list = () => z.array(Workspace).parse(JSON.parse(succeeds(as(['ls', '--json']))));

  let token = '';

  before(() => {
    token = agent.token('alice');
    env = cliEnv(agent.url, token);
  });

  after(async () => {
    if (env?.HOME) await fs.rm(env.HOME, { recursive: true, force: true });
  });

  let printed = '';

  it('creates a workspace and prints a command that enters it as printed', () => {
    const out = succeeds(as(['create', 'daily', '--memory', '512m', '--cpus', '1']));
    printed = /enter it with: (.*)$/m.exec(out)?.[1] ?? '';
    assert.equal(printed, 'berth ssh daily');
  });

  it('says which key to add, and how, when the workspace refuses the key', () => {
    const run = as(['ssh', 'daily', '--identity', key.privateKey, '--', 'true']);
    assert.equal(run.code, 255, run.stderr);
    assert.match(run.stderr, /Permission denied \(publickey/);
    assert.match(
      run.stderr,
      new RegExp(
        `^berth ssh: workspace "daily" refused your SSH key; register it with: berth key add ${key.privateKey}\\.pub `,
        'm',
      ),
    );
  });

  it('enters the workspace with the printed command once the key is added', () => {
    succeeds(as(['key', 'add', `${key.privateKey}.pub`]));
    const [command, ...args] = printed.split(' ');
    assert.equal(command, 'berth');
    const run = berth([...args, '--', 'echo', 'in'], { ...env, BERTH_IDENTITY: key.privateKey });
    assert.equal(succeeds(run), 'in\n');
  });

  it('reads the token from stdin with --token -, so that it is never an argument', () => {
    const withStdin = (args: string[], input: string) => {
      const result = spawnSync(process.execPath, [BERTH, ...args], {
        env: { ...process.env, ...env, BERTH_TOKEN: undefined },
        input,
        encoding: 'utf8',
      });
      return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
    };
    const listed = z
      .array(Workspace)
      .parse(JSON.parse(succeeds(withStdin(['ls', '--token', '-', '--json'], `${token}\n`))));
    assert.deepEqual(
      listed.map((ws) => ws.name),
      ['daily'],
    );
    const empty = withStdin(['ls', '--token', '-'], '');
    assert.equal(empty.code, 1);
    assert.equal(
      empty.stderr,
      'berth ls: --token -: stdin held no token; pipe it in (berth ls --token - < FILE) or set BERTH_TOKEN\n',
    );
    const added = withStdin(['host', 'add', agent.url, '--name', 'piped', '--token', '-'], token);
    assert.match(succeeds(added), /piped/);
  });

  it('shows every field of a workspace with berth get, and the protocol object with -o json', () => {
    const text = succeeds(as(['get', 'daily']));
    assert.match(text, /^Name +daily$/m);
    assert.match(text, /^State +running since \d{4}-\d\d-\d\d \d\d:\d\d \S+$/m);
    assert.match(text, /^Memory +512 MiB$/m);
    assert.match(text, /^SSH +dev@127\.0\.0\.1 port \d+ \(enter it with: berth ssh daily\)$/m);
    const json = Workspace.parse(JSON.parse(succeeds(as(['get', 'daily', '-o', 'json']))));
    assert.equal(json.name, 'daily');
    const missing = as(['get', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^berth get: no workspace "nope"/);
  });

  it('ends quietly when the reader of its output closes the pipe (berth create --help | head)', async () => {
    const child = spawn(process.execPath, [BERTH, 'create', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // closed before berth writes a byte: every write meets EPIPE
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  it('refuses a duration without a unit, asking for one', () => {
    const run = as(['keepalive', 'daily', '5']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^berth keepalive: DURATION 5: a duration needs a unit: 5s, 5m or 5h/);
  });

  it('ends a keepalive with keepalive NAME 0: the idle stop comes back to the last activity', () => {
    assert.match(
      succeeds(as(['keepalive', 'daily', '4h'])),
      /^daily: kept running until \d{4}-\d\d-\d\d \d\d:\d\d \S+/,
    );
    const kept = Date.parse(list()[0]?.idleStopAt ?? '');
    assert.match(succeeds(as(['keepalive', 'daily', '0'])), /^daily: keepalive ended; idle stop at /);
    const ended = Date.parse(list()[0]?.idleStopAt ?? '');
    // The agent's default idle timeout is 30m, the keepalive was 4h: ended, the stop is hours earlier.
    assert.ok(
      ended < kept - 3 * 3600_000,
      `idle stop ${new Date(ended).toISOString()} before ${new Date(kept).toISOString()}`,
    );
  });
});
