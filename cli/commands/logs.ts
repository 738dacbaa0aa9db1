import { CLIENT_OPTIONS, numberOption, parse, positionals } from '../args';
import { withClient, type Command } from '../command';

const usage = 'berth logs NAME [-f] [--tail N]';

/** `berth logs NAME`: the workspace container's output; `-f` follows it until Ctrl-C or the container stops. */
export const logs: Command = {
  name: 'logs',
  summary: "show a workspace's output (-f to follow)",
  usage,
  async run(argv) {
    const options = { ...CLIENT_OPTIONS, follow: { type: 'boolean', short: 'f' }, tail: { type: 'string' } } as const;
    const { values, positionals: rest } = parse(argv, options, usage);
    const [name = ''] = positionals(rest, ['NAME'], usage);
    const tail = numberOption('tail', values.tail, usage, true) ?? 200;
    const follow = values.follow ?? false;
    await withClient(values, async (client) => {
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      try {
        const { text } = await client.request(
          'workspace.logs',
          { name, tail, follow },
          { signal: controller.signal, onLog: (chunk) => process.stdout.write(chunk) },
        );
        process.stdout.write(text);
      } catch (err) {
        if (!controller.signal.aborted) throw err;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
    return 0;
  },
};
