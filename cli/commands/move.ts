import { PassThrough, Writable } from 'node:stream';
import { BerthError, type EventData } from '../../protocol';
import type { AgentClient } from '../../client/agent-client';
import { streamRequest } from '../../client/stream';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { enterCommand, withClient, type Command } from '../command';
import { targetRefusal } from '../move-checks';
import { formatTime } from '../format';
import { TransferProgress } from '../transfer';
import { OWNER_OPTION, refOf } from './lifecycle';

const usage = 'berth move NAME --to HOST [--host SOURCE] [--owner USER] [--quiet] [--json]';

/**
 * `berth move NAME --to HOST`: moves a workspace to another saved host, losing nothing.
 *
 * 1. The target is asked first (host.info, host.images, workspace.list): the same owner there, the
 *    name free, a port, CPUs, memory, GPUs, the image; a refusal changes nothing anywhere.
 * 2. The source is stopped (`workspace.stop`), so the copy is consistent and nothing changes after it.
 * 3. Its backup (`workspace.backup`) streams from the source agent through this process straight into
 *    `workspace.restore` on the target, without a size (it is not known before the end) and without a
 *    file: the target checks every sha256 and the manifest at the end, records the workspace only once
 *    its home is in place, and starts it. The host key travels, so known_hosts lines still hold.
 * 4. Only then is the source deleted with its data (into its host's trash when it keeps one), with
 *    "moved to host …" as the reason.
 *
 * Stopped at any point before 4 (Ctrl-C, a failure, this process killed): the target removes what it
 * made (the restore is cancelled with the connection), and the source keeps the workspace whole,
 * stopped (a failed or cancelled move starts it again if it was running; a killed one leaves it
 * stopped, to be started with `berth start`).
 */
export const move: Command = {
  name: 'move',
  summary: 'move a workspace to another host (its home, definition and host key), then delete it here',
  usage,
  async run(argv) {
    const options = {
      ...CLIENT_OPTIONS,
      ...OWNER_OPTION,
      to: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
    } as const;
    const { values, positionals: rest } = parse(argv, options, usage);
    const [name = ''] = positionals(rest, ['NAME'], usage);
    const to = values.to;
    if (!to) throw new UsageError('give the host to move it to with --to HOST (one of: berth host ls)', usage);
    const quiet = values.quiet ?? values.json ?? false;
    const ref = refOf(name, values.owner);
    return withClient(values, (source, from) =>
      withClient({ host: to }, async (target, there) => {
        if (from.url === there.url) throw new BerthError('invalid_params', `"${name}" is already on host "${to}"`);
        const { workspace: ws } = await source.request('workspace.get', ref);
        const [info, { images }, { workspaces }] = await Promise.all([
          target.request('host.info', {}),
          target.request('host.images', {}),
          target.request('workspace.list', {}),
        ]);
        const refusal = targetRefusal(ws, ws.owner, { host: to, info, images, workspaces });
        if (refusal) throw new BerthError('conflict', `cannot move "${name}": ${refusal}; nothing was changed`);
        const say = (line: string) => void (quiet ? undefined : process.stderr.write(`  ${line}\n`));
        const onProgress = (p: EventData<'workspace.progress'>) => {
          if (p.phase !== 'done') say(`${p.name}: ${p.message}`);
        };

        const wasRunning = ws.state !== 'stopped';
        if (wasRunning) {
          say(`${name}: stopping it on ${from.host ?? 'the source'} for the move`);
          await source.request('workspace.stop', ref, { onProgress });
        }
        const controller = new AbortController();
        const onSigint = () => {
          process.stderr.write('cancelling…\n');
          controller.abort();
        };
        process.once('SIGINT', onSigint);
        try {
          const moved = await transfer(source, target, ref, ws.disk?.home ?? null, {
            label: `${name} → ${to}`,
            quiet,
            signal: controller.signal,
            onProgress,
          });
          if (moved.ssh.hostKey !== ws.ssh.hostKey) {
            throw new BerthError('runtime_error', `the host key of "${name}" on "${to}" differs; the source was kept`);
          }
        } catch (err) {
          if (wasRunning) {
            say(`${name}: starting it again on ${from.host ?? 'the source'}; it was not moved`);
            await source.request('workspace.start', ref).catch(() => undefined);
          }
          if (err instanceof BerthError && err.code === 'cancelled') {
            process.stderr.write(`Cancelled; "${name}" stays where it was and nothing is left on "${to}".\n`);
            return 130;
          }
          throw err;
        } finally {
          process.off('SIGINT', onSigint);
        }

        // Started on the source meanwhile: what changed since the copy would be lost; keep both.
        const { workspace: now } = await source.request('workspace.get', ref);
        if (now.state !== 'stopped') {
          throw new BerthError(
            'conflict',
            `"${name}" now runs on "${to}", but it was started again on ${from.host ?? 'the source'} during the move, so it was not deleted there; compare the two and delete one (berth rm ${name})`,
          );
        }
        const deleted = await source.request('workspace.delete', {
          ...ref,
          deleteData: true,
          reason: `moved to host ${to}`.slice(0, 200),
        });
        const { workspace: result } = await target.request('workspace.get', { name: ws.name });
        if (values.json) {
          process.stdout.write(`${JSON.stringify({ workspace: result, source: deleted }, null, 2)}\n`);
          return 0;
        }
        const trash = deleted.trashedUntil
          ? ` (its home stays in the trash there until ${formatTime(deleted.trashedUntil)})`
          : '';
        process.stdout.write(
          `Moved ${name} to ${to}: ${result.state}, same host key · enter it with: ${enterCommand(result.name, { host: to })}\nDeleted it on ${from.host ?? 'the source'}${trash}.\n`,
        );
        return 0;
      }),
    );
  },
};

interface TransferOptions {
  label: string;
  quiet: boolean;
  signal: AbortSignal;
  onProgress: (progress: EventData<'workspace.progress'>) => void;
}

/**
 * Streams the stopped source's backup into a restore on the target, both requests at once; either
 * failing cancels the other. Resolves with the restored workspace (running).
 */
async function transfer(
  source: AgentClient,
  target: AgentClient,
  ref: { name: string; owner?: string },
  total: number | null,
  options: TransferOptions,
) {
  const progress = new TransferProgress(options.label, total, options.quiet);
  const pipe = new PassThrough({ highWaterMark: 1024 * 1024 });
  pipe.pause();
  const stopBackup = new AbortController();
  const stopRestore = new AbortController();
  const abort = () => (stopBackup.abort(), stopRestore.abort());
  options.signal.addEventListener('abort', abort, { once: true });
  // Once the restore has ended (refused, cancelled, its agent gone), nothing reads the pipe any
  // more: what the backup still sends is dropped, so that reading from the source goes on and its
  // reply (the cancel's) arrives.
  let dropping = false;
  let held: (() => void) | null = null;
  const release = () => {
    const callback = held;
    held = null;
    callback?.();
  };
  const counted = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (dropping) return callback();
      progress.add(chunk.length);
      if (pipe.write(chunk)) return callback();
      held = callback;
      pipe.once('drain', release);
    },
  });
  const drop = () => {
    dropping = true;
    release();
  };
  const restoring = streamRequest(
    target,
    'workspace.restore',
    { name: ref.name },
    {
      stdout: process.stderr,
      stderr: process.stderr,
      stdin: pipe,
      binaryInput: true,
      signal: stopRestore.signal,
      onProgress: options.onProgress,
    },
  );
  let refused: unknown = null;
  restoring.then(drop, (err: unknown) => {
    refused = err;
    drop();
    stopBackup.abort();
  });
  try {
    await streamRequest(
      source,
      'workspace.backup',
      { ...ref, live: false },
      { stdout: counted, stderr: process.stderr, stdin: null, signal: stopBackup.signal },
    );
    await new Promise<void>((resolve) => counted.end(() => resolve()));
    pipe.end();
  } catch (err) {
    stopRestore.abort();
    await restoring.catch(() => undefined);
    // The target's refusal (a checksum, the disk) is the cause; the backup was cancelled for it.
    throw refused ?? err;
  } finally {
    options.signal.removeEventListener('abort', abort);
  }
  const { workspace } = await restoring;
  progress.done();
  return workspace;
}
