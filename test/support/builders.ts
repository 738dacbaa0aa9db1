import { createHash } from 'node:crypto';
import type { WorkspaceRecord } from '../../agent/state/record';
import type { HostEntry } from '../../extension/ssh-config/config-text';
import type { HostGpu, Workspace, WorkspaceSpec } from '../../protocol';

// Complete, valid objects for unit tests: each test overrides only the fields it is about, so what a
// test sets is what it tests. The same name always gives the same id, in every builder.

const GiB = 1024 ** 3;
const SINCE = '2024-05-01T10:05:00.000Z';
const CREATED = '2024-05-01T10:00:00.000Z';

/** The id the builders give a workspace named `name`: 12 hex digits, as the agent's store requires. */
export function idOf(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 12);
}

/** A spec as the agent completes it: the default image, 2 CPUs, 4 GiB, no GPUs, user dev. */
export function workspaceSpec(name: string, extra: Partial<WorkspaceSpec> = {}): WorkspaceSpec {
  return {
    name,
    image: 'berth-workspace:latest',
    cpus: 2,
    memory: 4 * GiB,
    gpus: 0,
    env: {},
    command: '',
    user: 'dev',
    ...extra,
  };
}

/** A running workspace of alice as the agent reports it, SSH on 127.0.0.1:2222; `extra` and `spec` override. */
export function workspace(name: string, extra: Partial<Workspace> = {}, spec: Partial<WorkspaceSpec> = {}): Workspace {
  return {
    id: idOf(name),
    name,
    owner: 'alice',
    spec: workspaceSpec(name, spec),
    state: 'running',
    since: SINCE,
    createdAt: CREATED,
    ssh: { host: '127.0.0.1', port: 2222, user: 'dev', hostKey: 'ssh-ed25519 AAAA' },
    ...extra,
  };
}

/** A running workspace of alice as the agent's store keeps it, holding no GPUs; `extra` and `spec` override. */
export function record(
  name: string,
  extra: Partial<WorkspaceRecord> = {},
  spec: Partial<WorkspaceSpec> = {},
): WorkspaceRecord {
  return {
    id: idOf(name),
    name,
    owner: 'alice',
    spec: workspaceSpec(name, spec),
    state: 'running',
    since: SINCE,
    createdAt: CREATED,
    port: 2200,
    hostKey: 'ssh-ed25519 AAAA',
    ...extra,
  };
}

/** A workspace's entry in the managed SSH config, under ~ada/.ssh/berth; `extra` overrides. */
export function hostEntry(alias: string, extra: Partial<HostEntry> = {}): HostEntry {
  return {
    alias,
    hostName: '127.0.0.1',
    port: 2222,
    user: 'dev',
    identityFile: '/home/ada/.ssh/berth/id_ed25519',
    knownHostsFile: '/home/ada/.ssh/berth/known_hosts',
    hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKey',
    ...extra,
  };
}

/** A free, idle, exclusive GPU 0 (an H100, 80 GiB, UUID `GPU-0`) as `host.info` lists it; `extra` overrides. */
export function hostGpu(extra: Partial<HostGpu> = {}): HostGpu {
  const index = extra.index ?? '0';
  return {
    index,
    uuid: `GPU-${index}`,
    name: 'NVIDIA H100 80GB HBM3',
    memory: 80 * GiB,
    memoryUsed: 0,
    utilization: 0,
    parent: null,
    mig: false,
    slots: 1,
    free: 1,
    holders: [],
    ...extra,
  };
}
