import type { ParamsInput } from '../../protocol';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { withClient, type Command } from '../command';
import { formatSize, parseSize } from '../format';

const usage = 'berth quota USER [GPUS|default] [--disk SIZE|default] [--json]';

/**
 * `berth quota USER N [--disk 50g]`: (admins) the most GPUs USER may hold at once, and a soft quota on
 * the disk their workspaces take (over it, new workspaces are refused); `default` removes a quota.
 */
export const quota: Command = {
  name: 'quota',
  summary: "set a user's GPU and disk quotas (admins)",
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(argv, { ...CLIENT_OPTIONS, disk: { type: 'string' } }, usage);
    if (rest.length === 1 && values.disk === undefined) {
      throw new UsageError('give GPUS, --disk SIZE or both', usage);
    }
    const [user = '', text] = rest.length === 1 ? [rest[0]] : positionals(rest, ['USER', 'GPUS'], usage);
    const params: ParamsInput<'user.setQuota'> = { user };
    if (text !== undefined) {
      const gpus = text === 'default' ? null : Number(text);
      if (gpus !== null && (!Number.isInteger(gpus) || gpus < 0)) {
        throw new UsageError(`GPUS ${text}: expected a whole number of GPUs (0 or more) or "default"`, usage);
      }
      params.gpus = gpus;
    }
    if (values.disk !== undefined) {
      const bytes = values.disk === 'default' ? null : parseSize(values.disk);
      if (bytes === null && values.disk !== 'default') {
        throw new UsageError(`--disk ${values.disk}: expected a size such as 50g or 500m, or "default"`, usage);
      }
      params.disk = bytes;
    }
    await withClient(values, async (client) => {
      const result = await client.request('user.setQuota', params);
      if (values.json) return void process.stdout.write(`${JSON.stringify(result)}\n`);
      const limit =
        result.effective === null ? 'no limit' : `at most ${result.effective} GPU${result.effective === 1 ? '' : 's'}`;
      const disk =
        result.disk === null || result.disk === undefined
          ? 'no disk quota'
          : `a soft disk quota of ${formatSize(result.disk)}`;
      const shown = values.disk !== undefined || typeof result.disk === 'number' ? `, ${disk}` : '';
      process.stdout.write(`${result.user}: ${limit}${result.gpus === null ? " (the agent's default)" : ''}${shown}\n`);
    });
    return 0;
  },
};
