import * as vscode from 'vscode';
import { BerthError, WorkspaceName, type HostInfo, type Workspace } from '../../protocol';
import { capacityLabel } from '../hosts/capacity';
import type { HostConnection } from '../hosts/connection';
import { workspaceNode, type TreeNode } from '../tree/model';
import { connectWorkspace } from './connect';
import { specOf, type Answers, type CloneOffer } from './create-wizard/answers';
import { openFolderRemote } from './create-wizard/folder-remote';
import { runWizard } from './create-wizard/wizard';
import { forVsCode } from '../wording/errors';
import { showError } from './errors';
import { openTerminal } from './openTerminal';
import { withAgentProgress } from './progress';
import { resolveHost } from './resolve';
import type { Services } from '../services';

/** Why `name` cannot be a new workspace on `connection`, or null when it can. */
export function nameProblem(connection: HostConnection, name: string): string | null {
  const parsed = WorkspaceName.safeParse(name);
  if (!parsed.success) return `Name ${parsed.error.issues[0]?.message ?? 'is invalid'}`;
  return connection.find(name) ? `You already have a workspace called "${name}"` : null;
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

/** Errors after which the wizard is asked again with the answers kept: the spec or the host's state was the cause. */
const KEEPS_ANSWERS = new Set([
  'invalid_params',
  'already_exists',
  'conflict',
  'no_capacity',
  'image_not_found',
  'forbidden',
  'runtime_error',
  'timeout',
]);

/** Offers to enter the workspace that just came up; what went wrong in it (a failed clone, say) is said first. */
export async function offerConnect(
  services: Services,
  connection: HostConnection,
  workspace: Workspace,
): Promise<void> {
  const connect = 'Connect';
  const terminal = 'Open Terminal';
  const running = `Workspace "${workspace.name}" is running on ${connection.host.label}.`;
  const choice = workspace.message
    ? await vscode.window.showWarningMessage(`${running} But: ${forVsCode(workspace.message)}`, connect, terminal)
    : await vscode.window.showInformationMessage(running, connect, terminal);
  const node = workspaceNode(connection.host, connection.workspaces.get(workspace.id) ?? workspace);
  if (choice === connect) await connectWorkspace(services, node);
  else if (choice === terminal) await openTerminal(services, node);
}

/** The host's images, or null when its agent does not list them (an older one) or fails to. */
async function hostImages(services: Services, connection: HostConnection): Promise<string[] | null> {
  try {
    return (await connection.request('host.images', {})).images;
  } catch (err) {
    if (!(err instanceof BerthError && err.code === 'unknown_method')) {
      services.log.warn(`list the images of ${connection.host.label}: ${String(err)}`);
    }
    return null;
  }
}

/**
 * What clone on create offers: the open folder's git remote, and (when it may need credentials) the
 * user's secrets on the host by name. A host that cannot list secrets offers none.
 */
async function cloneOffer(services: Services, connection: HostConnection): Promise<CloneOffer> {
  const remote = await openFolderRemote();
  if (!remote?.credentials) return { remote, secrets: [] };
  try {
    const { secrets } = await connection.request('secret.list', {});
    return { remote, secrets: secrets.map((secret) => secret.name) };
  } catch (err) {
    services.log.warn(`list the secrets on ${connection.host.label}: ${String(err)}`);
    return { remote, secrets: [] };
  }
}

/**
 * Berth: Create Workspace — the wizard (Back on every step, answers checked against the host as they
 * are typed; the open folder's repository offered to clone), then the agent's phases as cancellable progress. A create that fails asks again with
 * the answers kept; one that succeeds offers Connect and Open Terminal.
 */
export async function createWorkspace(services: Services, arg?: unknown): Promise<void> {
  let chosen: { connection: HostConnection; info: HostInfo } | undefined;
  try {
    chosen = await chooseHost(services, arg);
  } catch (err) {
    return showError(services, 'create a workspace', err);
  }
  if (!chosen) return;
  const { connection } = chosen;
  let info = chosen.info;
  let images = await hostImages(services, connection);
  const clone = await cloneOffer(services, connection);
  let answers: Answers = {};
  let note: string | undefined;
  for (;;) {
    const host = {
      label: connection.host.label,
      info,
      images,
      nameProblem: (name: string) => nameProblem(connection, name),
      clone,
    };
    const finished = await runWizard(host, answers, note);
    if (!finished) return;
    answers = finished;
    const spec = specOf(answers);
    try {
      const { workspace } = await withAgentProgress(`Creating ${spec.name}`, (options) =>
        connection.request('workspace.create', spec, options),
      );
      services.log.info(`created ${spec.name} on ${connection.host.label}`);
      void offerConnect(services, connection, workspace);
      return;
    } catch (err) {
      if (!(err instanceof BerthError && KEEPS_ANSWERS.has(err.code))) {
        return showError(services, `create ${spec.name}`, err);
      }
      // The wizard itself says what went wrong: a toast beside it would outlive the retry that works.
      services.log.error(`create ${spec.name}: [${err.code}] ${err.message}`);
      note = `Could not create ${spec.name}: ${err.message}. Your answers are kept: change what is needed and go on.`;
      // What failed may be the host's state (an image removed, capacity taken): ask with it afresh.
      [info, images] = await Promise.all([
        connection.request('host.info', {}).catch(() => info),
        hostImages(services, connection),
      ]);
    }
  }
}
