import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { waitFor } from './wait';

/** The test sshd (scripts/setup-test-sshd.sh): this machine as its own remote host on 127.0.0.1:2222. */
export const TEST_SSHD_PORT = 2222;
const SSHD_DIR = '/var/lib/berth-test-sshd';
/** The client key both test accounts accept. */
export const CLIENT_KEY = path.join(SSHD_DIR, 'client_key');
/** Home of `berthremote`, the account that has Node.js and Docker. */
export const REMOTE_HOME = '/home/berthremote';
const SETUP = path.resolve(__dirname, '..', '..', 'scripts', 'setup-test-sshd.sh');

/**
 * Sets up the test sshd (idempotent, fast once done); the reason it could not, or null when it answers.
 * Suites skip with that reason: only a machine where it cannot be set up lacks these tests.
 */
export function setUpTestSshd(): string | null {
  const setup = spawnSync('bash', [SETUP], { encoding: 'utf8' });
  return setup.status === 0 ? null : setup.stderr.trim() || `exit ${setup.status}`;
}

/** The pid of the agent running on the remote account, from the pid file the installer wrote. */
export function remotePid(): number {
  return Number(readFileSync(path.join(REMOTE_HOME, '.local/share/berth/agent.pid'), 'utf8').trim());
}

/** Whether process `pid` runs. */
export function alive(pid: number): boolean {
  return spawnSync('kill', ['-0', String(pid)]).status === 0;
}

/**
 * Stops the agent on the remote account, if one runs, and waits until it is gone. Asynchronously: the
 * agent closes its WebSockets first, and clients in this very process must be free to answer.
 */
export async function stopRemoteAgent(): Promise<void> {
  const pidFile = path.join(REMOTE_HOME, '.local/share/berth/agent.pid');
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
  if (!(pid > 0) || !alive(pid)) return;
  spawnSync('kill', [String(pid)]);
  await waitFor(`the remote agent (pid ${pid}) to exit`, () => !alive(pid));
}

/** Stops the agent a previous run left on the remote account and removes its files and workspaces. */
export async function resetRemote(): Promise<void> {
  await stopRemoteAgent();
  const store = path.join(REMOTE_HOME, '.local/state/berth/workspaces.json');
  const ids = existsSync(store)
    ? ((JSON.parse(readFileSync(store, 'utf8')) as { workspaces?: { id: string }[] }).workspaces ?? []).map((w) => w.id)
    : [];
  if (ids.length) {
    spawnSync('docker', ['rm', '-f', ...ids.map((id) => `berth-${id}`)], { stdio: 'ignore' });
    spawnSync('docker', ['volume', 'rm', '-f', ...ids.map((id) => `berth-${id}-home`)], { stdio: 'ignore' });
  }
  rmSync(path.join(REMOTE_HOME, '.local/share/berth'), { recursive: true, force: true });
  rmSync(path.join(REMOTE_HOME, '.local/state/berth'), { recursive: true, force: true });
}
