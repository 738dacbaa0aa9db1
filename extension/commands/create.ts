import * as vscode from 'vscode';
import { WorkspaceName, type HostInfo, type WorkspaceSpecInput } from '../../protocol';
import type { HostConnection } from '../hosts/connection';
import { memoryLabel } from '../tree/model';
import { showError } from './errors';
import { withAgentProgress } from './progress';
import { resolveHost } from './resolve';
import type { Services } from './services';

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
  const steps = info.gpus.length ? 6 : 5;
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
  if (info.gpus.length) {
    const gpus = await pick(
      `New workspace (5/${steps}): GPUs`,
      Array.from({ length: info.gpus.length + 1 }, (_, n) => ({
        label: n ? `${n} GPU${n > 1 ? 's' : ''}` : 'No GPU',
        description: n ? info.gpus[0]?.name : '',
        value: n,
      })),
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

/** Berth: Create Workspace — a multi-step input, then the agent's phases as cancellable progress. */
export async function createWorkspace(services: Services, arg?: unknown): Promise<void> {
  const connection = await resolveHost(services, arg);
  if (!connection) return;
  let spec: WorkspaceSpecInput | undefined;
  try {
    spec = await askSpec(connection, await connection.request('host.info', {}));
  } catch (err) {
    return showError(services, `create a workspace on ${connection.host.label}`, err);
  }
  if (!spec) return;
  const name = spec.name;
  try {
    await withAgentProgress(`Creating ${name}`, connection, name, (signal) =>
      connection.request('workspace.create', spec, { signal }),
    );
    services.log.info(`created ${name} on ${connection.host.label}`);
  } catch (err) {
    showError(services, `create ${name}`, err);
  }
}
