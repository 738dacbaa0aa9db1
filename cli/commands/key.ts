import { promises as fs } from 'node:fs';
import { BerthError } from '../../protocol';
import type { AgentClient } from '../../client/agent-client';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { withClient, type Command } from '../command';
import { formatTime, table } from '../format';

const usage = [
  'berth key add [--user NAME] FILE.pub',
  'berth key ls [--user NAME] [--json]',
  'berth key rm [--user NAME] FINGERPRINT   (as berth key ls shows it; the key stops working at once)',
].join('\n       ');

const plural = (count: number) => `${count} key${count === 1 ? '' : 's'}`;

async function readKeyFile(file: string): Promise<string> {
  return fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new BerthError(
      'invalid_params',
      `cannot read ${file} (${err.code ?? err.message}); pass a public key file such as ~/.ssh/id_ed25519.pub`,
    );
  });
}

async function add(client: AgentClient, user: string | undefined, text: string, json: boolean): Promise<void> {
  const result = await client.request('user.addKey', user ? { user, key: text } : { key: text });
  if (json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`Added ${result.fingerprint} for ${result.user} (${plural(result.keys)}).\n`);
}

async function list(client: AgentClient, user: string | undefined, json: boolean): Promise<void> {
  const result = await client.request('user.keys', user ? { user } : {});
  if (json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (!result.keys.length) {
    return void process.stdout.write(`${result.user} has no keys. Add one with: berth key add ~/.ssh/id_ed25519.pub\n`);
  }
  const rows = result.keys.map((k) => [k.fingerprint, k.type, k.comment, k.addedAt ? formatTime(k.addedAt) : '']);
  process.stdout.write(`${table(['FINGERPRINT', 'TYPE', 'COMMENT', 'ADDED'], rows)}\n`);
}

async function remove(client: AgentClient, user: string | undefined, fingerprint: string, json: boolean) {
  const result = await client.request('user.removeKey', user ? { user, fingerprint } : { fingerprint });
  if (json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `Removed ${result.fingerprint} of ${result.user} (${plural(result.keys)} left); its workspaces no longer accept it.\n`,
  );
}

/** `berth key`: the SSH public keys of a user's workspaces; changes reach running workspaces at once. */
export const key: Command = {
  name: 'key',
  summary: "add, list or remove the SSH public keys of a user's workspaces",
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(argv, { ...CLIENT_OPTIONS, user: { type: 'string' } }, usage);
    const [action = '', ...args] = rest;
    const json = values.json ?? false;
    if (action === 'add') {
      const [file = ''] = positionals(args, ['FILE.pub'], usage);
      const text = await readKeyFile(file);
      await withClient(values, (client) => add(client, values.user, text, json));
    } else if (action === 'ls') {
      positionals(args, [], usage);
      await withClient(values, (client) => list(client, values.user, json));
    } else if (action === 'rm') {
      const [fingerprint = ''] = positionals(args, ['FINGERPRINT'], usage);
      await withClient(values, (client) => remove(client, values.user, fingerprint, json));
    } else {
      throw new UsageError(action ? `unknown action "${action}"` : 'missing add, ls or rm', usage);
    }
    return 0;
  },
};
