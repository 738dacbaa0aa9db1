import { promises as fs } from 'node:fs';
import { BerthError } from '../../../protocol';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { withClient, type Command } from '../command';

const usage = 'berth key add [--user NAME] FILE.pub';

/** `berth key add FILE.pub`: authorizes an SSH public key for a user's workspaces (at once, also running ones). */
export const key: Command = {
  name: 'key',
  summary: "add an SSH public key to a user's workspaces",
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(argv, { ...CLIENT_OPTIONS, user: { type: 'string' } }, usage);
    const [action = '', file = ''] = positionals(rest, ['add', 'FILE.pub'], usage);
    if (action !== 'add') throw new UsageError(`unknown action "${action}"`, usage);
    const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new BerthError(
        'invalid_params',
        `cannot read ${file} (${err.code ?? err.message}); pass a public key file such as ~/.ssh/id_ed25519.pub`,
      );
    });
    await withClient(values, async (client) => {
      const params = values.user ? { user: values.user, key: text } : { key: text };
      const result = await client.request('user.addKey', params);
      if (values.json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(
        `Added ${result.fingerprint} for ${result.user} (${result.keys} key${result.keys === 1 ? '' : 's'}).\n`,
      );
    });
    return 0;
  },
};
