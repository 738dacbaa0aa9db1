import { TokenId, UserName, describeIssues, type TokenInfo } from '../../protocol';
import { Users } from '../../agent/users';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { withClient, type Command } from '../command';
import { formatTime, table } from '../format';
import { localUsers, requireAgentState, stateDir } from '../host-state';

const usage = [
  [
    'berth token create --user NAME [--admin] [--label TEXT] [--state-dir DIR [--init]] [--json]   (on the host)',
    'berth token ls [--user NAME] [--local | --state-dir DIR] [--json]',
    'berth token revoke ID | --user NAME --all [--local | --state-dir DIR] [--json]',
  ].join('\n       '),
  "ls and revoke act on the host's users file with --local or --state-dir DIR, or when no client token",
  'is set (no --token, BERTH_TOKEN or saved host with a token); otherwise they ask the agent, where',
  "users see and revoke their own tokens and admins anyone's.",
].join('\n');

const OPTIONS = {
  ...CLIENT_OPTIONS,
  user: { type: 'string' },
  admin: { type: 'boolean' },
  label: { type: 'string' },
  all: { type: 'boolean' },
  local: { type: 'boolean' },
  'state-dir': { type: 'string' },
  init: { type: 'boolean' },
} as const;
type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];

function userOption(values: Values): string | undefined {
  if (values.user === undefined) return undefined;
  const user = UserName.safeParse(values.user);
  if (!user.success) throw new UsageError(`--user ${values.user}: ${describeIssues(user.error)}`, usage);
  return user.data;
}

/** Prints tokens as a table (or JSON): never a secret, only ids, labels and times. */
function printTokens(tokens: TokenInfo[], json: boolean): void {
  if (json) return void process.stdout.write(`${JSON.stringify(tokens, null, 2)}\n`);
  if (!tokens.length) return void process.stdout.write('No tokens. Make one on the host with: berth token create\n');
  const rows = tokens.map((t) => [
    t.current ? `${t.id}*` : t.id,
    t.user,
    t.admin ? 'yes' : 'no',
    t.label ?? '',
    formatTime(t.createdAt),
    t.lastUsedAt ? formatTime(t.lastUsedAt) : 'never',
  ]);
  process.stdout.write(`${table(['ID', 'USER', 'ADMIN', 'LABEL', 'CREATED', 'LAST USED'], rows)}\n`);
  if (tokens.some((t) => t.current)) process.stdout.write('* the token of this connection\n');
}

async function create(values: Values): Promise<number> {
  const user = userOption(values);
  if (!user) throw new UsageError('missing --user NAME', usage);
  const dir = stateDir(values);
  requireAgentState(dir, values.init ?? false);
  const users = Users.in(dir);
  const { token, id } = await users.mint(user, values.admin ?? false, values.label);
  const label = values.label?.trim() ?? null;
  process.stdout.write(values.json ? `${JSON.stringify({ user, token, id, label })}\n` : `${token}\n`);
  return 0;
}

async function list(values: Values): Promise<number> {
  const user = userOption(values);
  const users = await localUsers(values, usage);
  if (users) printTokens(await users.tokens(user), values.json ?? false);
  else {
    await withClient(values, async (client) => {
      const { tokens } = await client.request('user.tokens', user ? { user } : {});
      printTokens(tokens, values.json ?? false);
    });
  }
  return 0;
}

async function revoke(values: Values, id: string | undefined): Promise<number> {
  const user = userOption(values);
  if (id !== undefined && (values.all || user)) throw new UsageError('pass either ID or --user NAME --all', usage);
  if (id === undefined && !(values.all && user)) throw new UsageError('missing ID (or --user NAME --all)', usage);
  if (id !== undefined && !TokenId.safeParse(id).success) {
    throw new UsageError(`"${id}" is not a token id; ids are the 8 hex digits berth token ls shows`, usage);
  }
  const which = id !== undefined ? { id } : { user: user ?? '', all: true as const };
  const users = await localUsers(values, usage);
  const revoked = users
    ? await users.revokeTokens('id' in which ? which : { user: which.user })
    : await withClient(values, async (client) => (await client.request('user.revokeToken', which)).revoked);
  if (values.json) process.stdout.write(`${JSON.stringify({ revoked }, null, 2)}\n`);
  else if (!revoked.length) process.stdout.write(`${user} has no tokens to revoke.\n`);
  else {
    for (const t of revoked) {
      process.stdout.write(`Revoked token ${t.id} of ${t.user}${t.label ? ` (${t.label})` : ''}.\n`);
    }
    process.stdout.write('The agent refuses it from now on and closes the connections that use it.\n');
  }
  return 0;
}

/**
 * `berth token`: tokens are made on the host itself, in the agent's state directory (works while the
 * agent runs; only the hash is stored, the token is shown once); they are listed and revoked there or
 * over the protocol.
 */
export const token: Command = {
  name: 'token',
  summary: 'create (on the host), list or revoke user tokens',
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(argv, OPTIONS, usage);
    const [action = '', ...args] = rest;
    if (action === 'create' || action === 'ls') positionals(args, [], usage);
    if (action === 'create') {
      if (values.url || values.token || values.host || values.local) {
        throw new UsageError(
          'create runs on the host itself (its state directory); leave out --host, --url and --token',
          usage,
        );
      }
      return create(values);
    }
    if (action === 'ls') return list(values);
    if (action === 'revoke') {
      if (args.length > 1) throw new UsageError(`unexpected argument "${args[1]}"`, usage);
      return revoke(values, args[0]);
    }
    throw new UsageError(action ? `unknown action "${action}"` : 'missing create, ls or revoke', usage);
  },
};
