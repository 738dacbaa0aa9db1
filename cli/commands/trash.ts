import { BerthError, HomeId, type TrashEntry } from '../../protocol';
import type { AgentClient } from '../../client/agent-client';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { confirm } from '../prompt';
import { printWorkspace, withClient, withProgress, type Command } from '../command';
import { formatSeconds } from '../duration';
import { formatSize, formatTime, table } from '../format';
import { waitFlag } from './create';

const usage = [
  'berth trash ls [--json]',
  'berth trash restore NAME|HOME [--as NEW] [--wait-gpus DURATION] [--json]',
  'berth trash empty [--all] [--yes] [--json]   (deletes every file in it; asks first)',
].join('\n       ');

/** One row of `berth trash ls`. */
export function trashRow(entry: TrashEntry, withOwner: boolean): string[] {
  return [
    entry.name,
    ...(withOwner ? [entry.owner] : []),
    entry.id,
    entry.bytes === null ? '?' : formatSize(entry.bytes),
    formatTime(entry.deletedAt),
    formatTime(entry.expiresAt),
  ];
}

async function list(client: AgentClient, json: boolean): Promise<void> {
  const result = await client.request('trash.list', {});
  if (json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  const kept = result.keepSeconds ? `kept ${formatSeconds(result.keepSeconds)} after the delete` : 'off on this host';
  if (!result.entries.length) return void process.stdout.write(`The trash is empty (${kept}).\n`);
  const withOwner = client.welcome.user.admin;
  const header = ['NAME', ...(withOwner ? ['OWNER'] : []), 'HOME', 'SIZE', 'DELETED', 'DELETED FOR GOOD'];
  const rows = result.entries.map((entry) => trashRow(entry, withOwner));
  const note = `Homes of workspaces deleted with their data, ${kept}; they count against no quota. Restore one with: berth trash restore NAME [--as NEW]`;
  process.stdout.write(`${table(header, rows)}\n${note}\n`);
}

async function restore(client: AgentClient, text: string, values: RestoreFlags): Promise<void> {
  const ref = HomeId.safeParse(text).success ? { id: text } : { name: text };
  const waitForGpus = waitFlag(values['wait-gpus'], usage);
  const { workspace } = await withProgress(values.json ?? false, (progress) =>
    client.request('trash.restore', { ...ref, as: values.as, waitForGpus }, progress),
  );
  if (!values.json) process.stdout.write(`Restored ${workspace.name} from the trash, with its files.\n`);
  printWorkspace(workspace, values.json ?? false);
}

interface RestoreFlags {
  as?: string | undefined;
  'wait-gpus'?: string | undefined;
  json?: boolean | undefined;
}

/**
 * Lists what `berth trash empty` would delete, asks (unless `--yes`), then deletes only the entries
 * listed: a home trashed while the question was open is not the user's to lose unseen.
 */
async function empty(
  client: AgentClient,
  values: { all?: boolean | undefined; yes?: boolean | undefined },
  json: boolean,
): Promise<boolean> {
  const all = values.all ?? false;
  const whose = all ? "every user's trash" : 'your trash';
  const { entries } = await client.request('trash.list', {});
  const shown = entries.filter((entry) => all || entry.owner === client.welcome.user.name);
  if (!shown.length) {
    process.stdout.write(
      json ? `${JSON.stringify({ removed: [] }, null, 2)}\n` : 'The trash was empty; nothing deleted.\n',
    );
    return true;
  }
  const listed = shown.map((entry) => `${entry.name} (${entry.id}${all ? `, ${entry.owner}'s` : ''})`).join(', ');
  const homes = `${shown.length} home${shown.length === 1 ? '' : 's'}`;
  if (!values.yes) {
    if (!process.stdin.isTTY) {
      throw new BerthError(
        'invalid_params',
        `emptying ${whose} deletes every file in it: ${homes} (${listed}); add --yes`,
      );
    }
    if (
      !(await confirm(
        `This deletes for good ${homes} and ALL files in them: ${listed}. Type "empty" to confirm: `,
        'empty',
      ))
    ) {
      process.stderr.write('Nothing deleted.\n');
      return false;
    }
  }
  const ids = shown.map((entry) => entry.id);
  const { removed } = await client.request('trash.empty', { ...(all ? { all: true as const } : {}), ids });
  if (json) {
    process.stdout.write(`${JSON.stringify({ removed }, null, 2)}\n`);
    return true;
  }
  const names = removed.map((entry) => `${entry.name} (${entry.id})`).join(', ');
  if (removed.length) {
    process.stdout.write(`Deleted for good ${removed.length} home${removed.length === 1 ? '' : 's'}: ${names}.\n`);
  }
  const kept = shown.filter((entry) => !removed.some((gone) => gone.id === entry.id));
  if (kept.length) {
    const which = kept.map((entry) => `${entry.name} (${entry.id})`).join(', ');
    process.stdout.write(`Not deleted, restored or being restored meanwhile: ${which}.\n`);
  }
  return true;
}

/** `berth trash`: homes of workspaces deleted with their data, restorable until the host's period ends. */
export const trash: Command = {
  name: 'trash',
  summary: 'list, restore or empty the homes of workspaces deleted with their data',
  usage,
  async run(argv) {
    const options = {
      ...CLIENT_OPTIONS,
      as: { type: 'string' },
      'wait-gpus': { type: 'string' },
      all: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
    } as const;
    const { values, positionals: rest } = parse(argv, options, usage);
    const [action = '', ...args] = rest;
    const json = values.json ?? false;
    if (action !== 'restore' && (values.as !== undefined || values['wait-gpus'] !== undefined)) {
      throw new UsageError('--as and --wait-gpus are for restore', usage);
    }
    if (action !== 'empty' && (values.all !== undefined || values.yes !== undefined)) {
      throw new UsageError('--all and --yes are for empty', usage);
    }
    if (action === 'ls') {
      positionals(args, [], usage);
      await withClient(values, (client) => list(client, json));
    } else if (action === 'restore') {
      const [text = ''] = positionals(args, ['NAME'], usage);
      await withClient(values, (client) => restore(client, text, values));
    } else if (action === 'empty') {
      positionals(args, [], usage);
      if (!(await withClient(values, (client) => empty(client, values, json)))) return 1;
    } else {
      throw new UsageError(action ? `unknown action "${action}"` : 'missing ls, restore or empty', usage);
    }
    return 0;
  },
};
