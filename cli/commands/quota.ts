import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { withClient, type Command } from '../command';

const usage = 'berth quota USER GPUS|default [--json]';

/** `berth quota USER N`: (admins) the most GPUs USER may hold at once; `default` returns to the agent's. */
export const quota: Command = {
  name: 'quota',
  summary: "set a user's GPU quota (admins)",
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(argv, CLIENT_OPTIONS, usage);
    const [user = '', text = ''] = positionals(rest, ['USER', 'GPUS'], usage);
    const gpus = text === 'default' ? null : Number(text);
    if (gpus !== null && (!Number.isInteger(gpus) || gpus < 0)) {
      throw new UsageError(`GPUS ${text}: expected a whole number of GPUs (0 or more) or "default"`, usage);
    }
    await withClient(values, async (client) => {
      const result = await client.request('user.setQuota', { user, gpus });
      if (values.json) return void process.stdout.write(`${JSON.stringify(result)}\n`);
      const limit =
        result.effective === null ? 'no limit' : `at most ${result.effective} GPU${result.effective === 1 ? '' : 's'}`;
      process.stdout.write(`${result.user}: ${limit}${result.gpus === null ? " (the agent's default)" : ''}\n`);
    });
    return 0;
  },
};
