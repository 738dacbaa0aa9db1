import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { Workspace } from '../../protocol';
import { berth, freePort } from '../support/agent-process';
import { cliEnv, startBerth } from '../support/cli';
import { dockerExists } from '../support/docker';
import { sshKeyPair } from '../support/ssh';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

type Run = ReturnType<typeof berth>;

/** Asserts that a run failed with exactly one line on stderr matching `pattern`. */
function failsInOneLine(run: Run, pattern: RegExp): void {
  assert.notEqual(run.code, 0, 'exits non-zero');
  const lines = run.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0]!, pattern);
}

/** Asserts success and returns stdout. */
function succeeds(run: Run): string {
  assert.equal(run.code, 0, `exit code ${run.code}; stderr:\n${run.stderr}`);
  return run.stdout;
}

describe('cli: berth as a user runs it', function () {
  this.timeout(120_000);
  const agent = useAgent();
  let env: NodeJS.ProcessEnv;
  const key = sshKeyPair();
  const as = (args: string[]) => berth(args, env);
  const workspaces = () => z.array(Workspace).parse(JSON.parse(succeeds(as(['ls', '--json']))));

  before(() => {
    env = cliEnv(agent.url, agent.token('alice'));
  });

  after(async () => {
    if (env?.HOME) await fs.rm(env.HOME, { recursive: true, force: true });
  });

  it('creates a workspace with the given memory and CPUs and says it runs', () => {
    const stdout = succeeds(as(['create', 'web', '--memory', '512m', '--cpus', '1']));
    assert.match(stdout, /^web: running · enter it with: berth ssh web$/m);
  });

  it("lists workspaces with --json as the protocol's Workspace objects", () => {
    const [web, ...others] = workspaces();
    assert.deepEqual(others, []);
    assert.equal(web?.name, 'web');
    assert.equal(web?.state, 'running');
    assert.equal(web?.spec.memory, 512 * 1024 ** 2);
    assert.equal(web?.spec.cpus, 1);
  });

  it('lists workspaces as a table with NAME and STATE headers, in 100 columns', () => {
    const [header, row, ...rest] = succeeds(as(['ls']))
      .trimEnd()
      .split('\n');
    assert.match(header!, /^NAME\s+STATE\s+CPUS\s+MEMORY\s+GPUS\s+NOTE$/);
    assert.match(row!, /^web\s+running\s+1\s+512 MiB\s+0\s+idle stop \d{4}-\d\d-\d\d \d\d:\d\d \S+$/);
    assert.deepEqual(rest, []);
  });

  it('enters a workspace with berth ssh once berth key add authorized the key', () => {
    assert.match(succeeds(as(['key', 'add', `${key.privateKey}.pub`])), /^Added SHA256:\S+ for alice \(1 key\)/);
    const run = as(['ssh', 'web', '--identity', key.privateKey, '--', 'echo', 'hi']);
    assert.equal(succeeds(run), 'hi\n');
    // A --help after `--` belongs to the command run in the workspace, not to berth.
    const passed = as(['ssh', 'web', '--identity', key.privateKey, '--', 'echo', '--help']);
    assert.equal(succeeds(passed), '--help\n');
  });

  it('stops a workspace', () => {
    assert.match(succeeds(as(['stop', 'web'])), /^web: stopped/);
    assert.equal(workspaces()[0]?.state, 'stopped');
  });

  it('starts a stopped workspace again', () => {
    assert.match(succeeds(as(['start', 'web'])), /^web: running/);
    assert.equal(workspaces()[0]?.state, 'running');
  });

  it('reports a missing workspace in one line naming it, and exits non-zero', () => {
    failsInOneLine(as(['start', 'nope']), /^berth start: no workspace "nope"/);
  });

  it('refuses an invalid name in one line saying what a valid name is', () => {
    failsInOneLine(as(['create', 'UPPER']), /^berth create: name: must be 1–63 lowercase letters/);
    assert.deepEqual(
      workspaces().map((ws) => ws.name),
      ['web'],
    );
  });

  it('answers an unknown option in one line naming the nearest valid one, with exit code 2', () => {
    const run = as(['create', 'x', '--cpu', '1']);
    assert.equal(run.code, 2);
    failsInOneLine(run, /^berth create: unknown option --cpu; did you mean --cpus\?$/);
    failsInOneLine(as(['ls', '--colour']), /^berth ls: unknown option --colour; berth ls --help lists the options$/);
  });

  it("lists every option with its meaning and default in a command's --help", () => {
    const help = succeeds(as(['create', '--help']));
    assert.match(help, /^usage: berth create NAME/);
    assert.match(help, /^ {2}--memory SIZE +memory such as 512m or 8g \(default: the host's default\)$/m);
    assert.match(succeeds(as(['ls', '--help'])), /^ {2}-o, --output FORMAT +wide: /m);
  });

  it('refuses berth rm without --yes when there is no terminal to ask, deleting nothing', () => {
    failsInOneLine(as(['rm', 'web']), /^berth rm: refusing to delete "web" without confirmation; add --yes$/);
    assert.deepEqual(
      workspaces().map((ws) => ws.name),
      ['web'],
    );
  });

  it("shows the startup command's output with berth logs", async () => {
    succeeds(as(['create', 'logged', '--memory', '256m', '--command', 'echo from-startup']));
    await waitFor('the startup output in berth logs', () => succeeds(as(['logs', 'logged'])).includes('from-startup'));
  });

  it('follows the output with berth logs -f until Ctrl-C, then exits 0 promptly', async () => {
    const follower = startBerth(['logs', '-f', 'logged'], env);
    try {
      await waitFor('a line from berth logs -f', () => follower.stdout().includes('\n'));
      assert.equal(follower.child.exitCode, null, 'still following');
      follower.child.kill('SIGINT');
      await waitFor('berth logs -f to exit after SIGINT', () => follower.child.exitCode !== null, 5_000);
      assert.deepEqual(await follower.exited, { code: 0, signal: null }, follower.stderr());
    } finally {
      follower.child.kill('SIGKILL');
    }
  });

  it('deletes with berth rm --yes, keeps the home volume and says so', () => {
    const web = workspaces().find((ws) => ws.name === 'web')!;
    const volume = `berth-${web.id}-home`;
    const stdout = succeeds(as(['rm', 'web', '--yes']));
    assert.ok(stdout.includes(`its home volume ${volume} was kept`), stdout);
    assert.ok(dockerExists('volume', volume));
    assert.ok(!workspaces().some((ws) => ws.name === 'web'));
  });

  it('says in one line how to get a token when there is none', () => {
    const run = berth(['ls'], { ...env, BERTH_TOKEN: undefined });
    failsInOneLine(run, /^berth ls: no token; .*berth token create --user NAME/);
  });

  it('says in one line that it cannot reach the agent when none listens', async () => {
    const url = `ws://127.0.0.1:${await freePort()}`;
    failsInOneLine(berth(['ls'], { ...env, BERTH_URL: url }), /^berth ls: cannot reach the Berth agent at /);
  });
});
