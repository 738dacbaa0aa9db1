import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BERTH } from './agent-process';

/**
 * The environment of a person running `berth` against the agent at `url`: a private HOME and config
 * file, so that the real user's ~/.config/berth is never read. `token` undefined means none at all.
 */
export function cliEnv(url: string, token: string | undefined): NodeJS.ProcessEnv {
  const home = mkdtempSync(path.join(os.tmpdir(), 'berth-home-'));
  return {
    HOME: home,
    BERTH_CONFIG: path.join(home, 'config.json'),
    BERTH_URL: url,
    BERTH_TOKEN: token,
    BERTH_IDENTITY: undefined,
  };
}

/** A `berth` process left running (e.g. `berth logs -f`), with its output collected as it comes. */
export interface RunningBerth {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `berth ARGS` without waiting for it. */
export function startBerth(args: string[], env: NodeJS.ProcessEnv): RunningBerth {
  const child = spawn(process.execPath, [BERTH, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}
