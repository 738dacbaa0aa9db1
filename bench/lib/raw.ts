import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { waitForSsh } from '../../agent/workspaces/ssh-probe';
import { docker } from './docker';
import { generateEd25519KeyPair as hostKey } from '../../util/ed25519';

/** The init script the agent embeds in its bundle and writes as /.berth/init. */
export const INIT_SCRIPT = path.resolve(__dirname, '..', '..', 'agent', 'image', 'berth-init');

/** The limits and image both sides of a comparison use. */
export interface RawSpec {
  image: string;
  cpus: number;
  memory: number;
  user: string;
}

/** A workspace made by hand: what the agent would make, named so that the final sweep finds it. */
export interface RawWorkspace {
  /** Container name; also contains the run's sweep fragment. */
  name: string;
  /** Host name inside the container, as the agent uses the workspace name. */
  hostname: string;
  port: number;
  /** Bind-mounted read-only at /.berth, like the agent's per-workspace directory. */
  dir: string;
  volume: string;
  labels: Record<string, string>;
}

/** Milliseconds of one raw bring-up: files, the docker CLI call, and the total until the SSH banner. */
export interface RawTiming {
  prepMs: number;
  dockerMs: number;
  totalMs: number;
}

/**
 * Writes the files the agent's Bootstrap writes (a fresh ed25519 host key, init, empty env,
 * authorized_keys), with the same modes, as a shell script would: plain writes, no fsync.
 */
async function writeBootstrap(ws: RawWorkspace, init: string, authorizedKeys: readonly string[]): Promise<void> {
  const key = hostKey(`berth-${ws.name}`);
  await fs.mkdir(ws.dir, { recursive: true, mode: 0o755 });
  const write = (file: string, data: string, mode: number) => fs.writeFile(path.join(ws.dir, file), data, { mode });
  await Promise.all([
    write('ssh_host_ed25519_key', key.privateKey, 0o600),
    write('ssh_host_ed25519_key.pub', `${key.publicKey}\n`, 0o644),
    write('init', init, 0o755),
    write('env', '', 0o644),
    write('authorized_keys', authorizedKeys.map((k) => `${k}\n`).join(''), 0o644),
  ]);
}

/** `docker run` arguments equivalent to the agent's createContainer + startContainer. */
function runArgs(ws: RawWorkspace, spec: RawSpec): string[] {
  const labels = Object.entries(ws.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
  return [
    'run',
    '-d',
    '--name',
    ws.name,
    '--hostname',
    ws.hostname,
    '-p',
    `127.0.0.1:${ws.port}:22`,
    '--mount',
    `type=volume,src=${ws.volume},dst=/home/${spec.user}`,
    '--mount',
    `type=bind,src=${ws.dir},dst=/.berth,readonly`,
    '-e',
    `BERTH_USER=${spec.user}`,
    '-e',
    `BERTH_WORKSPACE=${ws.hostname}`,
    '-e',
    'NVIDIA_VISIBLE_DEVICES=void',
    ...labels,
    '--cpus',
    String(spec.cpus),
    '--memory',
    String(spec.memory),
    '--memory-swap',
    String(spec.memory),
    '--pids-limit',
    '4096',
    '--restart',
    'no',
    '--user',
    '0',
    '--entrypoint',
    '/bin/sh',
    spec.image,
    '/.berth/init',
  ];
}

/** Polls the published port with the agent's own probe (sshBanner every 25 ms) until sshd answers. */
export function waitBanner(port: number): Promise<void> {
  return waitForSsh({ host: '127.0.0.1', port, timeoutMs: 60_000, failure: async () => null });
}

/** Bootstrap files, `docker run -d`, then the SSH banner; the volume is created by `docker run`. */
export async function rawCreate(
  ws: RawWorkspace,
  spec: RawSpec,
  init: string,
  authorizedKeys: readonly string[],
): Promise<RawTiming> {
  const t0 = performance.now();
  await writeBootstrap(ws, init, authorizedKeys);
  const t1 = performance.now();
  await docker(...runArgs(ws, spec));
  const t2 = performance.now();
  await waitBanner(ws.port);
  return { prepMs: t1 - t0, dockerMs: t2 - t1, totalMs: performance.now() - t0 };
}

/** `docker start`, then the SSH banner. */
export async function rawStart(ws: RawWorkspace): Promise<RawTiming> {
  const t0 = performance.now();
  await docker('start', ws.name);
  const t1 = performance.now();
  await waitBanner(ws.port);
  return { prepMs: 0, dockerMs: t1 - t0, totalMs: performance.now() - t0 };
}

/** `docker stop` with the agent's grace period. */
export async function rawStop(ws: RawWorkspace): Promise<void> {
  await docker('stop', '-t', '10', ws.name);
}

/** Removes the container, its home volume and its directory. */
export async function rawRemove(ws: RawWorkspace): Promise<void> {
  await docker('rm', '-f', ws.name).catch(() => undefined);
  await docker('volume', 'rm', '-f', ws.volume);
  await fs.rm(ws.dir, { recursive: true, force: true });
}
