import { UserName, describeIssues } from '../../../protocol';
import { defaultStateDir } from '../../config';
import { Users } from '../../users';
import { UsageError, parse, positionals } from '../args';
import type { Command } from '../command';

const usage = 'berth token create --user NAME [--admin] [--state-dir DIR] [--json]';

/**
 * `berth token create`: mints a token on the host itself, in the agent's state directory (works while
 * the agent runs). Only the hash is stored: the token is shown once.
 */
export const token: Command = {
  name: 'token',
  summary: 'create a user token (run on the host)',
  usage,
  async run(argv) {
    const options = {
      user: { type: 'string' },
      admin: { type: 'boolean' },
      'state-dir': { type: 'string' },
      json: { type: 'boolean' },
    } as const;
    const { values, positionals: rest } = parse(argv, options, usage);
    const [action = ''] = positionals(rest, ['create'], usage);
    if (action !== 'create') throw new UsageError(`unknown action "${action}"`, usage);
    if (!values.user) throw new UsageError('missing --user NAME', usage);
    const user = UserName.safeParse(values.user);
    if (!user.success) throw new UsageError(`--user ${values.user}: ${describeIssues(user.error)}`, usage);
    const users = Users.in(values['state-dir'] ?? defaultStateDir());
    const created = await users.createToken(user.data, values.admin ?? false);
    process.stdout.write(values.json ? `${JSON.stringify({ user: user.data, token: created })}\n` : `${created}\n`);
    return 0;
  },
};
