import { BerthError } from '../../protocol';
import { checkMove, moveWorkspace, type Moved } from '../../client/transfer/move';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { enterCommand, withClient, type Command } from '../command';
import { formatTime } from '../format';
import { TransferProgress } from '../transfer';
import { OWNER_OPTION, refOf } from './lifecycle';

const usage = 'berth move NAME --to HOST [--host SOURCE] [--owner USER] [--quiet] [--json]';

/**
 * `berth move NAME --to HOST`: moves a workspace to another saved host, losing nothing. The steps
 * are client/transfer/move.ts's (`checkMove`, `moveWorkspace`), which the extension runs too:
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
        const ends = {
          source,
          target,
          sourceHost: from.host ?? null,
          targetHost: to,
          sourceUrl: from.url,
          targetUrl: there.url,
        };
        const ws = await checkMove(ends, ref);
        const say = (line: string) => void (quiet ? undefined : process.stderr.write(`  ${line}\n`));
        const progress = new TransferProgress(`${name} → ${to}`, ws.disk?.home ?? null, quiet);
        const controller = new AbortController();
        const onSigint = () => {
          process.stderr.write('cancelling…\n');
          controller.abort();
        };
        process.once('SIGINT', onSigint);
        let moved: Moved;
        try {
          moved = await moveWorkspace(ends, ws, {
            signal: controller.signal,
            say,
            onProgress: (p) => {
              if (p.phase !== 'done') say(`${p.name}: ${p.message}`);
            },
            onBytes: (n) => progress.add(n),
            output: process.stderr,
          });
        } catch (err) {
          if (err instanceof BerthError && err.code === 'cancelled') {
            process.stderr.write(`Cancelled; "${name}" stays where it was and nothing is left on "${to}".\n`);
            return 130;
          }
          throw err;
        } finally {
          process.off('SIGINT', onSigint);
        }
        progress.done();
        const { workspace: result, deleted } = moved;
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
