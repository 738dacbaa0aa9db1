import * as vscode from 'vscode';
import type { WorkspaceChanges } from '../../protocol';
import { memoryLabel } from '../wording/sizes';
import { showError } from './errors';
import { withAgentProgress } from './progress';
import { resolveWorkspace } from './resolve';
import { startTarget } from './start';
import { parseCpus, parseGpus, parseMemory, type HostLimits } from './update-inputs';
import type { Services } from '../services';

type Field = 'image' | 'cpus' | 'memory' | 'gpus';

/** Asks for a new value of `field`, shown as `current`; undefined when the user backs out. */
async function ask<T>(title: string, current: string, parse: (text: string) => T | string): Promise<T | undefined> {
  const text = await vscode.window.showInputBox({
    title,
    value: current,
    ignoreFocusOut: true,
    validateInput: (value) => {
      const parsed = parse(value);
      return typeof parsed === 'string' ? parsed : null;
    },
  });
  if (text === undefined) return undefined;
  const parsed = parse(text);
  return typeof parsed === 'string' ? undefined : parsed;
}

/**
 * Berth: Change Image or Resources… — what `update` does: a new image, CPUs, memory or GPUs, on the
 * same home. A running workspace is recreated; a stopped or failed one is offered a start after.
 */
export async function updateWorkspace(services: Services, arg?: unknown): Promise<void> {
  const target = await resolveWorkspace(services, arg, ['running', 'stopped', 'failed']);
  if (!target) return;
  const { connection, workspace } = target;
  const { spec } = workspace;
  let host: HostLimits;
  try {
    const info = await connection.request('host.info', {});
    host = { cpus: info.cpus, memory: info.memory, gpus: info.gpus.filter((gpu) => gpu.slots > 0).length };
  } catch (err) {
    return showError(services, `change ${workspace.name}`, err);
  }
  const fields: { label: string; description: string; field: Field }[] = [
    { label: 'Image', description: spec.image, field: 'image' },
    { label: 'CPUs', description: String(spec.cpus), field: 'cpus' },
    { label: 'Memory', description: memoryLabel(spec.memory), field: 'memory' },
    ...(host.gpus || spec.gpus ? [{ label: 'GPUs', description: String(spec.gpus), field: 'gpus' as const }] : []),
  ];
  const picked = await vscode.window.showQuickPick(fields, {
    title: `Change ${workspace.name}: what to change (its home is kept)`,
    canPickMany: true,
    ignoreFocusOut: true,
  });
  if (!picked?.length) return;
  const changes: WorkspaceChanges = {};
  for (const { field, label } of picked) {
    const title = `Change ${workspace.name}: ${label.toLowerCase()}`;
    const value =
      field === 'image'
        ? (
            await ask(title, spec.image, (text) =>
              text.trim() ? [text.trim()] : 'Give an image on the host, with sshd and a shell',
            )
          )?.[0]
        : field === 'cpus'
          ? await ask(title, String(spec.cpus), (text) => parseCpus(text, host))
          : field === 'memory'
            ? await ask(title, memoryLabel(spec.memory), (text) => parseMemory(text, host))
            : await ask(title, String(spec.gpus), (text) => parseGpus(text, host));
    if (value === undefined) return;
    Object.assign(changes, { [field]: value });
  }
  try {
    const result = await withAgentProgress(`Changing ${workspace.name}`, (options) =>
      connection.request('workspace.update', { name: workspace.name, owner: workspace.owner, changes }, options),
    );
    if (result.workspace.state !== 'running') {
      const choice = await vscode.window.showInformationMessage(
        `Changed ${workspace.name}; it is ${result.workspace.state}.`,
        'Start',
      );
      if (choice === 'Start') await startTarget(services, { connection, workspace: result.workspace });
    }
  } catch (err) {
    showError(services, `change ${workspace.name}`, err);
  }
}
