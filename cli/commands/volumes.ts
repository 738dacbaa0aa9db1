import { BerthError, VolumeName, type NamedVolume } from '../../protocol';
import type { AgentClient } from '../../client/agent-client';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { confirm } from '../prompt';
import { withClient, type Command } from '../command';
import { formatSize, formatTime, table } from '../format';

const usage = [
  'berth volumes ls [--json]',
  'berth volumes rm NAME --yes [--confirm NAME] [--owner USER]   (deletes every file in it; asks for its name, or --confirm without a terminal)',
].join('\n       ');

/** `text` when it is a volume name, or a usage error saying what one looks like. */
export function volumeArgument(text: string, usage: string): string {
  if (VolumeName.safeParse(text).success) return text;
  throw new UsageError(
    `"${text}" is not a volume name; give the name a spec mounts it by, as berth volumes ls shows (e.g. data)`,
    usage,
  );
}

/** One row of `berth volumes ls`. */
export function volumeRow(volume: NamedVolume): string[] {
  return [
    volume.name,
    volume.owner,
    volume.workspaces.length ? volume.workspaces.join(', ') : '(none)',
    volume.bytes === null ? '?' : formatSize(volume.bytes),
    volume.createdAt === null ? 'unknown' : formatTime(volume.createdAt),
  ];
}

/**
 * What `volumes rm` needs before it deletes: `--yes`, and then the name typed again (at the prompt
 * on a terminal, with `--confirm` without one). Returns the refusal, `prompt`, or `confirmed`.
 */
export function volumeDeletionStep(
  name: string,
  yes: boolean,
  confirmed: string | undefined,
  tty: boolean,
): { refuse: string } | 'prompt' | 'confirmed' {
  const twice = `say so twice: --yes, then its name again (${tty ? 'at the prompt' : `--confirm ${name}`})`;
  if (!yes) return { refuse: `deleting volume ${name} deletes every file in it; ${twice}` };
  if (confirmed === undefined) {
    return tty ? 'prompt' : { refuse: `deleting volume ${name} deletes every file in it; ${twice}` };
  }
  if (confirmed !== name) {
    return { refuse: `--confirm ${confirmed} is not the volume to delete (${name}); nothing deleted` };
  }
  return 'confirmed';
}

async function list(client: AgentClient, json: boolean): Promise<void> {
  const result = await client.request('volume.list', {});
  if (json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (!result.volumes.length) return void process.stdout.write('No named volumes.\n');
  const notes = [
    `Sizes as measured ${result.at ? formatTime(result.at) : 'never yet (the agent measures every few minutes)'}.`,
  ];
  if (result.volumes.some((volume) => !volume.workspaces.length)) {
    notes.push(
      'Mount one again with volumes: in a workspace.yaml; delete one no workspace names with: berth volumes rm NAME',
    );
  }
  const header = ['NAME', 'OWNER', 'WORKSPACES', 'SIZE', 'CREATED'];
  process.stdout.write(`${table(header, result.volumes.map(volumeRow))}\n${notes.join('\n')}\n`);
}

async function remove(client: AgentClient, name: string, owner: string | undefined, json: boolean): Promise<void> {
  const result = await client.request('volume.delete', { name, ...(owner !== undefined ? { owner } : {}) });
  if (json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `Deleted ${result.owner}'s volume ${result.name} (Docker volume ${result.volume}) and every file in it.\n`,
  );
}

/** `berth volumes`: the caller's named volumes (kept whatever becomes of workspaces), listed or deleted. */
export const volumes: Command = {
  name: 'volumes',
  summary: 'list your named volumes or delete one',
  usage,
  async run(argv) {
    const options = {
      ...CLIENT_OPTIONS,
      yes: { type: 'boolean', short: 'y' },
      confirm: { type: 'string' },
      owner: { type: 'string' },
    } as const;
    const { values, positionals: rest } = parse(argv, options, usage);
    const [action = '', ...args] = rest;
    const json = values.json ?? false;
    if (action === 'ls') {
      positionals(args, [], usage);
      await withClient(values, (client) => list(client, json));
    } else if (action === 'rm') {
      const [text = ''] = positionals(args, ['NAME'], usage);
      const name = volumeArgument(text, usage);
      const step = volumeDeletionStep(name, values.yes ?? false, values.confirm, process.stdin.isTTY === true);
      if (typeof step === 'object') throw new BerthError('invalid_params', step.refuse);
      const whose = values.owner === undefined ? 'volume' : `${values.owner}'s volume`;
      if (
        step === 'prompt' &&
        !(await confirm(`This deletes ${whose} ${name} and ALL files in it. Type its name to confirm: `, name))
      ) {
        process.stderr.write('Nothing deleted.\n');
        return 1;
      }
      await withClient(values, (client) => remove(client, name, values.owner, json));
    } else {
      throw new UsageError(action ? `unknown action "${action}"` : 'missing ls or rm', usage);
    }
    return 0;
  },
};
