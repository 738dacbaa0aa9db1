import * as vscode from 'vscode';
import type { RequestOptions } from '../../client/agent-client';
import { buildImage, type BuildInput } from '../../client/build';
import { BerthError, type BuildRecord, type EventData } from '../../protocol';
import type { HostConnection } from '../hosts/connection';
import { folderSizeLabel } from '../wording/sizes';

let channel: vscode.OutputChannel | undefined;

/** The one "Berth: Build" output channel, made on first use; every build's log goes there. */
export function buildChannel(): vscode.OutputChannel {
  channel ??= vscode.window.createOutputChannel('Berth: Build');
  return channel;
}

/** What a step under {@link withBuildProgress} is given: the cancellation, the agent's phases, and the build. */
export interface BuildSteps extends Required<Pick<RequestOptions, 'signal' | 'onProgress'>> {
  /** Builds `input` on the host, its log streaming into "Berth: Build"; resolves with what the spec takes. */
  build(input: BuildInput): Promise<{ image: string; build: BuildRecord }>;
}

/** Whether `err` is the cancellation this very user asked for. */
function cancelledHere(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted && err instanceof BerthError && err.code === 'cancelled';
}

/**
 * Runs a build and the request that uses it under one cancellable notification titled `title`
 * ("Creating web"): the upload's bytes, then "building", then the agent's phases as its message.
 * The log streams into "Berth: Build", shown when the build starts. Cancel aborts the upload, the
 * build and the request; the user is told it was cancelled, and the call rejects with `cancelled`.
 */
export function withBuildProgress<T>(
  title: string,
  connection: HostConnection,
  run: (steps: BuildSteps) => Promise<T>,
): Thenable<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const cancel = token.onCancellationRequested(() => abort.abort());
      const say = (message: string) => progress.report({ message });
      let building = false;
      const build = async (input: BuildInput) => {
        const out = buildChannel();
        out.show(true);
        out.appendLine(`--- ${title}: building ${input.contextDir} on ${connection.host.label} ---`);
        say('reading the build folder');
        building = true;
        let docker = false;
        const built = await buildImage(connection.liveClient(), input, {
          signal: abort.signal,
          onLog: (text) => out.append(text),
          onProgress: ({ phase, bytes, total }) => {
            // The agent may acknowledge the last bytes after it said "building": the message stays.
            docker ||= phase === 'building';
            say(
              docker
                ? 'building the image'
                : `sending the build folder (${folderSizeLabel(bytes)} of ${folderSizeLabel(total)})`,
            );
          },
        });
        building = false;
        out.appendLine(
          built.cached ? `${built.image}: built before from the same files; reused` : `built ${built.image}`,
        );
        return { image: built.image, build: built.build };
      };
      const onProgress = (event: EventData<'workspace.progress'>) => {
        if (event.phase !== 'done') say(event.message);
      };
      try {
        return await run({ signal: abort.signal, onProgress, build });
      } catch (err) {
        if (cancelledHere(err, abort.signal)) {
          const what = building
            ? `${title} was cancelled during the build: nothing was changed.`
            : `${title} was cancelled.`;
          if (channel) channel.appendLine(`--- ${what} ---`);
          void vscode.window.showInformationMessage(what);
        } else if (building && channel) {
          // The log ends where Docker stopped: the reason goes under it (the notification says it too).
          channel.appendLine(`--- ${title}: ${err instanceof Error ? err.message : String(err)} ---`);
        }
        throw err;
      } finally {
        cancel.dispose();
      }
    },
  );
}
