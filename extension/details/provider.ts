import * as vscode from 'vscode';
import type { ClientEvent } from '../../client/agent-client';
import type { HostManager } from '../hosts/manager';
import { detailsText } from '../wording/details';
import { forVsCode } from '../wording/errors';

/** The scheme of the read-only "Show Details" documents. */
export const DETAILS_SCHEME = 'berth-details';

/** Which workspace a details document shows. */
export interface DetailsRef {
  hostId: string;
  owner: string;
  name: string;
}

/**
 * `berth-details:/<host>/<owner>/<name> details`: the tab reads `<name> details`. Host ids, user and
 * workspace names hold no `/` (their schemas and `aliasPart` see to it), so the path splits back.
 */
export function detailsUri(ref: DetailsRef): vscode.Uri {
  return vscode.Uri.from({ scheme: DETAILS_SCHEME, path: `/${ref.hostId}/${ref.owner}/${ref.name} details` });
}

/** The workspace a details URI names; undefined for one Berth did not make. */
export function parseDetailsUri(uri: vscode.Uri): DetailsRef | undefined {
  const [hostId, owner, last, ...more] = uri.path.split('/').slice(1);
  const name = last?.endsWith(' details') ? last.slice(0, -' details'.length) : undefined;
  return hostId && owner && name && !more.length ? { hostId, owner, name } : undefined;
}

/**
 * The content of the details documents: `workspace.get` (the only reply with the history) rendered by
 * `detailsText`. An open document is read again whenever its workspace changes (a `workspace.changed`
 * or `workspace.removed` event naming it) or a host's connection does (no event: a reconnect).
 */
export class DetailsProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly manager: HostManager) {
    this.subscription = manager.onDidChange((event) => this.changed(event));
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const ref = parseDetailsUri(uri);
    if (!ref) return 'This is not a Berth workspace details document.';
    const connection = this.manager.connection(ref.hostId);
    if (!connection) return `The host of ${ref.name} is no longer among your Berth hosts.`;
    try {
      const { workspace } = await connection.request('workspace.get', { name: ref.name, owner: ref.owner });
      return detailsText(workspace, connection.host.label);
    } catch (err) {
      const message = forVsCode(err instanceof Error ? err.message : String(err));
      return `Berth workspace ${ref.name}\n\nCould not read its details: ${message}\n`;
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }

  private changed(event: ClientEvent | undefined): void {
    const about = (() => {
      if (event?.event === 'workspace.changed') return event.data.workspace;
      if (event?.event === 'workspace.removed') return event.data;
      return undefined;
    })();
    if (event && !about) return;
    for (const document of vscode.workspace.textDocuments) {
      if (document.uri.scheme !== DETAILS_SCHEME) continue;
      const ref = parseDetailsUri(document.uri);
      if (ref && (!about || (about.name === ref.name && about.owner === ref.owner))) this.emitter.fire(document.uri);
    }
  }
}

/** Registers the details documents' provider. */
export function registerDetails(manager: HostManager): vscode.Disposable {
  const provider = new DetailsProvider(manager);
  return vscode.Disposable.from(
    provider,
    vscode.workspace.registerTextDocumentContentProvider(DETAILS_SCHEME, provider),
  );
}
