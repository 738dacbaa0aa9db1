import { BerthError, homeIdFrom, type Home } from '../../protocol';
import type { AgentClient } from '../../client/agent-client';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { ask } from '../prompt';
import { withClient, type Command } from '../command';
import { formatSize, formatTime, table } from '../format';

const usage = [
  'berth homes ls [--json]',
  'berth homes rm HOME --yes [--confirm HOME]   (deletes every file in it; asks for its id, or --confirm without a terminal)',
].join('\n       ');

/** The id in `text` (an id, or a `berth-<id>-home` volume name), or a usage error saying what one looks like. */
export function homeArgument(text: string, usage: string): string {
  const id = homeIdFrom(text);
  if (!id) {
    throw new UsageError(
      `"${text}" is not a home id; give the 12 hex digits berth homes ls shows (e.g. 3fa29c01b2d4)`,
      usage,
    );
  }
  return id;
}

/** One row of `berth homes ls`. */
export function homeRow(home: Home): string[] {
  return [
    home.id,
    home.owner ?? '(unknown)',
    home.workspace ?? '(kept, no workspace)',
    home.bytes === null ? '?' : formatSize(home.bytes),
    home.lastUsed === null ? 'unknown' : formatTime(home.lastUsed),
    home.madeFor ?? '',
  ];
}

/** The kept homes (used by no workspace) of each owner: how many and their bytes together (unmeasured ones count 0). */
export function keptByOwner(homes: readonly Home[]): Map<string, { count: number; bytes: number }> {
  const kept = new Map<string, { count: number; bytes: number }>();
  for (const home of homes) {
    if (home.workspace !== null) continue;
    const key = home.owner ?? '(unknown)';
    const sum = kept.get(key) ?? { count: 0, bytes: 0 };
    kept.set(key, { count: sum.count + 1, bytes: sum.bytes + (home.bytes ?? 0) });
  }
  return kept;
}

/**
 * What `homes rm` needs before it deletes: `--yes`, and then the id typed again (at the prompt on a
 * terminal, with `--confirm` without one). Returns the refusal, `prompt`, or `confirmed`.
 */
export function deletionStep(
  id: string,
  yes: boolean,
  confirm: string | undefined,
  tty: boolean,
): { refuse: string } | 'prompt' | 'confirmed' {
  const twice = `say so twice: --yes, then its id again (${tty ? 'at the prompt' : `--confirm ${id}`})`;
  if (!yes) return { refuse: `deleting home ${id} deletes every file in it; ${twice}` };
  if (confirm === undefined) {
    return tty ? 'prompt' : { refuse: `deleting home ${id} deletes every file in it; ${twice}` };
  }
  if (homeIdFrom(confirm) !== id) {
    return { refuse: `--confirm ${confirm} is not the home to delete (${id}); nothing deleted` };
  }
  return 'confirmed';
}

async function list(client: AgentClient, json: boolean): Promise<void> {
  const result = await client.request('home.list', {});
  if (json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (!result.homes.length) return void process.stdout.write('No homes.\n');
  const rows = result.homes.map((home) => homeRow(home));
  const notes = [
    `Sizes as measured ${result.at ? formatTime(result.at) : 'never yet (the agent measures every few minutes)'}.`,
  ];
  if (result.homes.some((home) => home.workspace === null)) {
    notes.push('Reattach a kept home with: berth create NAME --home HOME; delete it with: berth homes rm HOME');
  }
  if (result.homes.some((home) => home.owner === null)) {
    notes.push('(unknown): a home without an owner label or record; only admins see it, and only they may delete it.');
  }
  const header = ['HOME', 'OWNER', 'WORKSPACE', 'SIZE', 'LAST USED', 'MADE FOR'];
  process.stdout.write(`${table(header, rows)}\n${notes.join('\n')}\n`);
}

async function remove(client: AgentClient, id: string, json: boolean): Promise<void> {
  const result = await client.request('home.delete', { id });
  if (json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`Deleted home ${result.id} (volume ${result.volume}) and every file in it.\n`);
}

/** `berth homes`: the home volumes, those kept after their workspace was deleted included. */
export const homes: Command = {
  name: 'homes',
  summary: 'list home volumes (kept ones included) or delete one',
  usage,
  async run(argv) {
    const options = { ...CLIENT_OPTIONS, yes: { type: 'boolean', short: 'y' }, confirm: { type: 'string' } } as const;
    const { values, positionals: rest } = parse(argv, options, usage);
    const [action = '', ...args] = rest;
    const json = values.json ?? false;
    if (action === 'ls') {
      positionals(args, [], usage);
      await withClient(values, (client) => list(client, json));
    } else if (action === 'rm') {
      const [text = ''] = positionals(args, ['HOME'], usage);
      const id = homeArgument(text, usage);
      const step = deletionStep(id, values.yes ?? false, values.confirm, process.stdin.isTTY === true);
      if (typeof step === 'object') throw new BerthError('invalid_params', step.refuse);
      if (
        step === 'prompt' &&
        homeIdFrom(await ask(`This deletes home ${id} and ALL files in it. Type its id to confirm: `)) !== id
      ) {
        process.stderr.write('Nothing deleted.\n');
        return 1;
      }
      await withClient(values, (client) => remove(client, id, json));
    } else {
      throw new UsageError(action ? `unknown action "${action}"` : 'missing ls or rm', usage);
    }
    return 0;
  },
};
