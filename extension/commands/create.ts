import * as vscode from 'vscode';
import { WorkspaceName, type HostInfo, type WorkspaceSpecInput } from '../../protocol';
import { capacityLabel } from '../hosts/capacity';
import type { HostConnection } from '../hosts/connection';
import type { TreeNode } from '../tree/model';
import { memoryLabel } from '../wording/sizes';
import { showError } from './errors';
import { gpuChoices } from './gpu-choices';
import { withAgentProgress } from './progress';
import { resolveHost } from './resolve';
import type { Services } from '../services';

const GiB = 1024 ** 3;

/** Why `name` cannot be a new workspace on `connection`, or null when it can. */
export function nameProblem(connection: HostConnection, name: string): string | null {
  const parsed = WorkspaceName.safeParse(name);
  if (!parsed.success) return `Name ${parsed.error.issues[0]?.message ?? 'is invalid'}`;
  return connection.find(name) ? `You already have a workspace called "${name}"` : null;
}

interface Choice<T> extends vscode.QuickPickItem {
  value: T;
}

async function pick<T>(title: string, items: Choice<T>[]): Promise<T | undefined> {
  return (await vscode.window.showQuickPick(items, { title, ignoreFocusOut: true }))?.value;
}

/** Asks for the spec, step by step, with choices that fit the host. Undefined when the user backs out. */
async function askSpec(connection: HostConnection, info: HostInfo): Promise<WorkspaceSpecInput | undefined> {
  const assignable = info.gpus.filter((gpu) => gpu.slots > 0);
  const steps = assignable.length ? 6 : 5;
  const name = await vscode.window.showInputBox({
    title: `New workspace on ${connection.host.label} (1/${steps}): name`,
    prompt: 'Lowercase letters, digits and hyphens, starting with a letter',
    ignoreFocusOut: true,
    validateInput: (value) => nameProblem(connection, value),
  });
  if (!name) return undefined;
  const image = await vscode.window.showInputBox({
    title: `New workspace (2/${steps}): image`,
    value: info.defaultImage,
    prompt: 'A Docker image on the host with sshd and a shell',
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? null : 'Give an image'),
  });
  if (!image) return undefined;
  const cpus = await pick(
    `New workspace (3/${steps}): CPUs`,
    [1, 2, 4, 8, 16, 32, 64]
      .filter((n) => n <= info.cpus)
      .map((n) => ({ label: `${n} CPU${n > 1 ? 's' : ''}`, value: n })),
  );
  if (cpus === undefined) return undefined;
  const memory = await pick(
    `New workspace (4/${steps}): memory`,
    [1, 2, 4, 8, 16, 32, 64, 128]
      .map((n) => n * GiB)
      .filter((bytes) => bytes <= info.memory)
      .map((bytes) => ({ label: memoryLabel(bytes), value: bytes })),
  );
  if (memory === undefined) return undefined;
  const spec: WorkspaceSpecInput = { name, image: image.trim(), cpus, memory };
  if (assignable.length) {
    const free = assignable.filter((gpu) => gpu.free > 0);
    const gpus = await pick(
      `New workspace (5/${steps}): GPUs (${free.length} of ${assignable.length} free)`,
      gpuChoices(assignable),
    );
    if (gpus === undefined) return undefined;
    spec.gpus = gpus;
  }
  const idle = await pick<number | null>(`New workspace (${steps}/${steps}): stop when idle`, [
    { label: 'Host default', value: null },
    { label: 'After 30 minutes', value: 1800 },
    { label: 'After 2 hours', value: 7200 },
    { label: 'After 8 hours', value: 28800 },
    { label: 'Never', value: 0 },
  ]);
  if (idle === undefined) return undefined;
  if (idle !== null) spec.idleTimeout = idle;
  return spec;
}

/**
 * The host to create on: the tree node's, the only connected one, or one the user picks among the
 * connected hosts, each shown with its free CPUs, memory and GPUs. Its host info comes along.
 */
async function chooseHost(
  services: Services,
  arg: unknown,
): Promise<{ connection: HostConnection; info: HostInfo } | undefined> {
  const connected = services.manager.all().filter((c) => c.status.kind === 'connected');
  const node = arg as TreeNode | undefined;
  if ((node && 'hostId' in node) || connected.length <= 1) {
    const connection = await resolveHost(services, arg);
    return connection && { connection, info: await connection.request('host.info', {}) };
  }
  const infos = await Promise.all(connected.map((c) => c.request('host.info', {}).catch(() => null)));
  const picked = await vscode.window.showQuickPick(
    connected.map((connection, i) => {
      const info = infos[i];
      return {
        label: connection.host.label,
        description: info ? capacityLabel(info) : 'not answering',
        detail: connection.host.url,
        connection,
        info,
      };
    }),
    { title: 'New workspace: choose a host', ignoreFocusOut: true },
  );
  if (!picked) return undefined;
  return { connection: picked.connection, info: picked.info ?? (await picked.connection.request('host.info', {})) };
}

/** Berth: Create Workspace — a multi-step input, then the agent's phases as cancellable progress. */
export async function createWorkspace(services: Services, arg?: unknown): Promise<void> {
  let chosen: { connection: HostConnection; info: HostInfo } | undefined;
  try {
    chosen = await chooseHost(services, arg);
  } catch (err) {
    return showError(services, 'create a workspace', err);
  }
  if (!chosen) return;
  const { connection } = chosen;
  let spec: WorkspaceSpecInput | undefined;
  try {
    spec = await askSpec(connection, chosen.info);
  } catch (err) {
    return showError(services, `create a workspace on ${connection.host.label}`, err);
  }
  if (!spec) return;
  const name = spec.name;
  try {
    await withAgentProgress(`Creating ${name}`, (options) => connection.request('workspace.create', spec, options));
    services.log.info(`created ${name} on ${connection.host.label}`);
  } catch (err) {
    showError(services, `create ${name}`, err);
  }
}
