import { BerthError, UserName, describeIssues } from '../../protocol';
import { Store } from '../../agent/state/store';
import type { UserSummary } from '../../agent/user-records';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { confirm } from '../prompt';
import { withClient, type Command } from '../command';
import { formatSize, formatTime, table } from '../format';
import { localUsers, stateDir } from '../host-state';

const usage = [
  [
    'berth user ls [--local | --state-dir DIR] [--json]',
    'berth user rm NAME [--yes] [--state-dir DIR] [--json]   (on the host; removes the user with their tokens and keys)',
  ].join('\n       '),
  "ls acts on the host's users file with --local or --state-dir DIR, or when no client token is set;",
  'otherwise it asks the agent (admins only).',
].join('\n');

const OPTIONS = {
  ...CLIENT_OPTIONS,
  local: { type: 'boolean' },
  'state-dir': { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
} as const;
type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];

/** The names of each user's workspaces, from the agent's store in the state directory. */
async function workspacesByOwner(values: Values): Promise<Map<string, string[]>> {
  const byOwner = new Map<string, string[]>();
  for (const record of (await Store.open(stateDir(values))).all()) {
    byOwner.set(record.owner, [...(byOwner.get(record.owner) ?? []), record.name]);
  }
  return byOwner;
}

function quota(value: number | null, format: (n: number) => string): string {
  return value === null ? '-' : format(value);
}

async function list(values: Values): Promise<number> {
  const users = await localUsers(values, usage);
  let rows: (UserSummary & { workspaces: string[] })[];
  if (users) {
    const owned = await workspacesByOwner(values);
    rows = (await users.users()).map((u) => ({ ...u, workspaces: owned.get(u.name) ?? [] }));
  } else rows = await withClient(values, async (client) => (await client.request('user.list', {})).users);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (!rows.length) {
    process.stdout.write('No users. Make one with: berth token create --user NAME\n');
    return 0;
  }
  const cells = (u: UserSummary & { workspaces: string[] }) => [
    u.name,
    u.admin ? 'yes' : 'no',
    String(u.tokens),
    String(u.keys),
    u.workspaces.length ? u.workspaces.join(',') : '-',
    quota(u.gpuQuota, String),
    quota(u.diskQuota, formatSize),
    u.lastUsedAt ? formatTime(u.lastUsedAt) : 'never',
  ];
  const header = ['USER', 'ADMIN', 'TOKENS', 'KEYS', 'WORKSPACES', 'GPU QUOTA', 'DISK QUOTA', 'LAST USED'];
  process.stdout.write(`${table(header, rows.map(cells))}\n`);
  return 0;
}

async function remove(values: Values, name: string): Promise<number> {
  const user = UserName.safeParse(name);
  if (!user.success) throw new UsageError(`${name}: ${describeIssues(user.error)}`, usage);
  const users = await localUsers(values, usage, false);
  const entry = (await users?.users())?.find((u) => u.name === name);
  if (!users || !entry) throw new BerthError('not_found', `there is no user "${name}" (berth user ls lists them)`);
  const workspaces = (await workspacesByOwner(values)).get(name) ?? [];
  if (workspaces.length) {
    throw new BerthError(
      'conflict',
      `${name} still has workspaces: ${workspaces.join(', ')}; delete them first (berth rm NAME, as that user)`,
    );
  }
  if (!values.yes) {
    if (!process.stdin.isTTY) {
      throw new BerthError('invalid_params', `refusing to remove user "${name}" without confirmation; add --yes`);
    }
    const what = `${entry.tokens} token${entry.tokens === 1 ? '' : 's'} and ${entry.keys} key${entry.keys === 1 ? '' : 's'}`;
    if (!(await confirm(`This removes user "${name}" with ${what}. Type the name to confirm: `, name))) {
      process.stderr.write('Nothing removed.\n');
      return 1;
    }
  }
  await users.removeUser(name);
  if (values.json) process.stdout.write(`${JSON.stringify({ removed: name }, null, 2)}\n`);
  else process.stdout.write(`Removed user ${name}; the agent refuses their tokens from now on.\n`);
  return 0;
}

/**
 * `berth user`: the users of the host's users file (on the host, like `berth token ls --local`):
 * users whose tokens were all revoked stay until an admin removes them.
 */
export const user: Command = {
  name: 'user',
  summary: "list the host's users, or remove one (on the host)",
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(argv, OPTIONS, usage);
    const [action = '', ...args] = rest;
    if (action === 'ls') {
      positionals(args, [], usage);
      return list(values);
    }
    if (action === 'rm') {
      const [name = ''] = positionals(args, ['NAME'], usage);
      return remove(values, name);
    }
    throw new UsageError(action ? `unknown action "${action}"` : 'missing ls or rm', usage);
  },
};
