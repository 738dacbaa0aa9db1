import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import * as vscode from 'vscode';
import { runPostAttach } from '../../client/post-attach';
import type { Workspace } from '../../protocol';
import type { HostConnection } from '../hosts/connection';
import type { Services } from '../services';

let channel: vscode.OutputChannel | undefined;

/** The one "Berth: postAttachCommand" output channel, made on first use. */
function attachChannel(): vscode.OutputChannel {
  channel ??= vscode.window.createOutputChannel('Berth: postAttachCommand');
  return channel;
}

/** A stream that appends what is written to `out` as text (a character split across writes kept whole). */
function channelStream(out: vscode.OutputChannel): Writable {
  const decoder = new StringDecoder('utf8');
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.append(decoder.write(chunk));
      done();
    },
  });
}

/**
 * Runs the devcontainer.json `postAttachCommand` of `workspace` as Connect attaches, before the
 * window opens (opening may replace this window, and this extension host with it), under a
 * cancellable notification, its output in the "Berth: postAttachCommand" channel (shown, focus
 * kept). A failure or a cancel is shown, with the output a click away, and never stops the hand-off.
 */
export async function postAttach(services: Services, connection: HostConnection, workspace: Workspace): Promise<void> {
  if (workspace.spec.lifecycle?.postAttachCommand === undefined) return;
  const out = attachChannel();
  out.appendLine(`[${new Date().toISOString()}] ${workspace.name}: running postAttachCommand`);
  out.show(true);
  const failures = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Running postAttachCommand in ${workspace.name}`,
      cancellable: true,
    },
    async (_progress, token) => {
      const abort = new AbortController();
      const cancel = token.onCancellationRequested(() => abort.abort());
      try {
        return await runPostAttach(connection.liveClient(), workspace, channelStream(out), abort.signal);
      } catch (err) {
        return [{ label: 'postAttachCommand', why: err instanceof Error ? err.message : String(err) }];
      } finally {
        cancel.dispose();
      }
    },
  );
  for (const { label, why } of failures) out.appendLine(`${label} failed (${why})`);
  if (!failures.length) return void out.appendLine(`${workspace.name}: postAttachCommand done`);
  services.log.warn(`${workspace.name}: ${failures.map(({ label, why }) => `${label} failed (${why})`).join('; ')}`);
  const show = 'Show Output';
  const summary = failures.map(({ label, why }) => `${label} failed (${why})`).join('; ');
  // Not awaited: the window opens all the same.
  void vscode.window
    .showWarningMessage(`${workspace.name}: ${summary}; connecting all the same.`, show)
    .then((choice) => choice === show && out.show());
}
