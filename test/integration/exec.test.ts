import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { type BerthError } from '../../protocol';
import type { AgentClient } from '../../client/agent-client';
import { execInWorkspace, type ExecIo } from '../../client/exec';
import { BERTH } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

/**
 * A sink that keeps what it is given; `slow` makes every write wait a turn of the event loop.
 * `all()` ends it and resolves with everything once the writes queued in it have been taken.
 */
function sink(slow = false): Writable & { bytes(): Buffer; all(): Promise<Buffer> } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    highWaterMark: slow ? 1024 : 16 * 1024,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      if (slow) setImmediate(done);
      else done();
    },
  });
  const bytes = () => Buffer.concat(chunks);
  const all = () => new Promise<Buffer>((resolve) => stream.end(() => resolve(bytes())));
  return Object.assign(stream, { bytes, all });
}

/** Runs `command` through the client; the output collected. */
async function run(
  client: AgentClient,
  name: string,
  command: string[],
  io: Partial<ExecIo> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await execInWorkspace(client, { name }, command, { stdout, stderr, stdin: null, ...io });
  return { code, stdout: stdout.bytes().toString(), stderr: stderr.bytes().toString() };
}

/** `berth ARGS` with `input` on its stdin. */
function berthWith(args: string[], env: NodeJS.ProcessEnv, input: Buffer) {
  return new Promise<{ code: number | null; stdout: Buffer; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BERTH, ...args], { env: { ...process.env, ...env } });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    // A command run without -i reads no stdin: the CLI may exit before taking all of it.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('berth exec: a command in a workspace through the agent', function () {
  this.timeout(120_000);
  const agent = useAgent();
  let alice: AgentClient;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    alice = await agent.connect(agent.token('alice'));
    env = cliEnv(agent.url, agent.token('alice'));
    await alice.request('workspace.create', { name: 'box' });
    await alice.request('workspace.create', { name: 'parked' });
    await alice.request('workspace.stop', { name: 'parked' });
  });

  it('returns the exit code, keeps stdout and stderr apart, and runs as the workspace user in its home', async () => {
    const script = 'echo "$(id -un) in $(pwd)"; echo oops >&2; exit 7';
    const cli = await berthWith(['exec', 'box', '--', 'sh', '-c', script], env, Buffer.alloc(0));
    assert.equal(cli.code, 7, cli.stderr);
    assert.equal(cli.stdout.toString(), 'dev in /home/dev\n');
    assert.equal(cli.stderr, 'oops\n');
    assert.deepEqual(await run(alice, 'box', ['true']), { code: 0, stdout: '', stderr: '' });
  });

  it('passes arguments as they are, with no shell in between', async () => {
    const args = ['a b', '$HOME', "it's", '*', ''];
    const { stdout } = await run(alice, 'box', ['printf', '[%s]', ...args]);
    assert.equal(stdout, "[a b][$HOME][it's][*][]");
  });

  it('forwards stdin bigger than the flow-control window, byte for byte, through the CLI with -i', async () => {
    const input = randomBytes(3 * 1024 * 1024 + 17);
    const cli = await berthWith(['exec', 'box', '-i', '--', 'sha256sum'], env, input);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.stdout.toString().split(' ')[0], sha256(input));
    // Without -i the command's stdin is at end of file at once.
    const closed = await berthWith(['exec', 'box', '--', 'wc', '-c'], env, input);
    assert.equal(closed.stdout.toString().trim(), '0');
  });

  it('streams binary output of several MiB intact to a slow reader', async () => {
    await run(alice, 'box', ['sh', '-c', 'head -c 5000000 /dev/urandom > /tmp/blob']);
    const { stdout: sum } = await run(alice, 'box', ['sha256sum', '/tmp/blob']);
    const out = sink(true);
    const code = await execInWorkspace(alice, { name: 'box' }, ['cat', '/tmp/blob'], {
      stdout: out,
      stderr: sink(),
      stdin: null,
    });
    assert.equal(code, 0);
    const received = await out.all();
    assert.equal(received.length, 5_000_000);
    assert.equal(sha256(received), sum.split(' ')[0]);
  });

  it('gives a terminal of the asked size, and follows a resize', async () => {
    const first = await run(alice, 'box', ['stty', 'size'], { tty: { cols: 123, rows: 45 } });
    assert.equal(first.stdout.trim(), '45 123');

    const stdin = new PassThrough();
    const out = sink();
    let resize: ((size: { cols: number; rows: number }) => void) | null = null;
    const running = execInWorkspace(alice, { name: 'box' }, ['sh', '-c', 'stty -echo; echo ready; read x; stty size'], {
      stdout: out,
      stderr: sink(),
      stdin,
      tty: { cols: 80, rows: 24 },
      onResizer: (fn) => (resize = fn),
    });
    await waitFor('the command to wait for input', () => out.bytes().toString().includes('ready'));
    resize!({ cols: 132, rows: 50 });
    // The agent applies the resize before it writes what was sent after it. (Stdin stays open: a
    // terminal's end of input is the command's to read, not a cut of its output.)
    stdin.write('go\n');
    assert.equal(await running, 0);
    assert.match(out.bytes().toString(), /50 132\s*$/);
  });

  it('kills the command when cancelled', async () => {
    const controller = new AbortController();
    const out = sink();
    const running = execInWorkspace(
      alice,
      { name: 'box' },
      ['sh', '-c', 'echo $$ > /tmp/sleeper; echo started; exec sleep 1000'],
      { stdout: out, stderr: sink(), stdin: null, signal: controller.signal },
    );
    await waitFor('the command to start', () => out.bytes().toString().includes('started'));
    controller.abort();
    await assert.rejects(running, (err: BerthError) => err.code === 'cancelled');
    await waitFor('the killed command to be gone', async () => {
      const { code } = await run(alice, 'box', ['sh', '-c', 'kill -0 "$(cat /tmp/sleeper)" 2>/dev/null']);
      return code !== 0;
    });
  });

  it('kills commands cancelled before Docker has started them', async () => {
    // The cancels go out with the requests: the agent gets them while Docker is still starting the
    // commands (Docker reports no pid yet). Several at once widen that window.
    const marker = `early-${process.pid}`;
    const cancelled = Array.from({ length: 8 }, async () => {
      const controller = new AbortController();
      const running = execInWorkspace(alice, { name: 'box' }, ['sleep', '1000', marker], {
        stdout: sink(),
        stderr: sink(),
        stdin: null,
        signal: controller.signal,
      });
      controller.abort();
      await assert.rejects(running, (err: BerthError) => err.code === 'cancelled');
    });
    await Promise.all(cancelled);
    await waitFor('no command of the cancelled requests to be left running', async () => {
      const { stdout } = await run(alice, 'box', ['ps', '-eo', 'args']);
      return !stdout.includes(marker);
    });
  });

  it("refuses another user's workspace, a stopped one and an empty command, each saying why", async () => {
    const bob = await agent.connect(agent.token('bob'));
    await assert.rejects(run(bob, 'box', ['true']), (err: BerthError) => err.code === 'not_found');
    await assert.rejects(
      bob.request('workspace.exec', { name: 'box', owner: 'alice', command: ['true'] }),
      (err: BerthError) => err.code === 'forbidden' && /your own workspaces/.test(err.message),
    );
    await assert.rejects(
      run(alice, 'parked', ['true']),
      (err: BerthError) => err.code === 'conflict' && /is stopped; start it first/.test(err.message),
    );
    await assert.rejects(
      alice.request('workspace.exec', { name: 'box', command: [] }),
      (err: BerthError) => err.code === 'invalid_params' && /give the command to run/.test(err.message),
    );
    const usage = await berthWith(['exec', 'box', 'ls'], env, Buffer.alloc(0));
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /put the command after --/);
  });

  it('refuses stdin sent far ahead of what the agent acknowledged', async () => {
    let id = 0;
    const running = alice.request(
      'workspace.exec',
      { name: 'box', command: ['sleep', '1000'], stdin: true },
      { onSent: (sent) => (id = sent) },
    );
    // `sleep` never reads: the agent's writes stall, and a client ignoring the window goes past it.
    // 16 MiB: well past the window plus whatever the kernel and Docker buffer on the way to `sleep`.
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 256; i++) alice.sendInput(id, chunk);
    await assert.rejects(
      running,
      (err: BerthError) => err.code === 'invalid_params' && /wait for workspace.exec.stdin/.test(err.message),
    );
  });
});
