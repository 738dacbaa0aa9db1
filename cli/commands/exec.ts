import { BerthError, type TerminalSize } from '../../protocol';
import { execInWorkspace } from '../../client/exec';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { withClient, type Command } from '../command';

const usage = 'berth exec NAME [-i] [-t] [--owner USER] -- COMMAND [ARG...]';

/** The local terminal's size, when stdout is one. */
function terminalSize(): TerminalSize | undefined {
  const { columns, rows } = process.stdout;
  return process.stdout.isTTY && columns > 0 && rows > 0 ? { cols: columns, rows } : undefined;
}

/**
 * `berth exec NAME -- CMD...`: runs CMD in the running workspace as its user, in its home, through
 * the agent (no SSH). stdout and stderr stay apart; `-i` forwards stdin; `-t` gives a terminal (raw
 * mode here, its size followed). Exits with the command's exit code (130 when Ctrl-C cancelled it
 * without a terminal; with one, Ctrl-C goes to the command).
 */
export const exec: Command = {
  name: 'exec',
  summary: 'run a command in a running workspace (no SSH needed)',
  usage,
  async run(argv) {
    const split = argv.indexOf('--');
    const options = {
      ...CLIENT_OPTIONS,
      owner: { type: 'string' },
      interactive: { type: 'boolean', short: 'i' },
      tty: { type: 'boolean', short: 't' },
    } as const;
    const { values, positionals: rest } = parse(split < 0 ? argv : argv.slice(0, split), options, usage);
    if (split < 0) {
      throw new UsageError('put the command after --, e.g. berth exec web -- python3 train.py', usage);
    }
    const command = argv.slice(split + 1);
    if (!command.length) throw new UsageError('missing COMMAND after --', usage);
    const [name = ''] = positionals(rest, ['NAME'], usage);
    const ref = { name, ...(values.owner ? { owner: values.owner } : {}) };
    const tty = values.tty ? (terminalSize() ?? { cols: 80, rows: 24 }) : undefined;
    const rawMode = Boolean(tty && process.stdin.isTTY);

    return withClient(values, async (client) => {
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      // With a terminal in raw mode Ctrl-C is a byte for the command; without, it kills the command.
      if (!rawMode) process.once('SIGINT', onSigint);
      let onResize: (() => void) | null = null;
      if (rawMode) process.stdin.setRawMode(true);
      try {
        return await execInWorkspace(client, ref, command, {
          stdout: process.stdout,
          stderr: process.stderr,
          stdin: values.interactive || rawMode ? process.stdin : null,
          tty,
          signal: controller.signal,
          onResizer: (resize) => {
            if (!tty || !process.stdout.isTTY) return;
            onResize = () => {
              const size = terminalSize();
              if (size) resize(size);
            };
            process.stdout.on('resize', onResize);
          },
        });
      } catch (err) {
        if (err instanceof BerthError && err.code === 'cancelled' && controller.signal.aborted) return 130;
        throw err;
      } finally {
        process.off('SIGINT', onSigint);
        if (onResize) process.stdout.off('resize', onResize);
        if (rawMode) process.stdin.setRawMode(false);
      }
    });
  },
};
