import { promises as fs } from 'node:fs';
import { BerthError, MAX_SECRET_BYTES, type SecretInfo } from '../../protocol';
import type { AgentClient } from '../../client/agent-client';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { withClient, type Command } from '../command';
import { formatTime, table } from '../format';

const usage = [
  'berth secret set NAME [--from-file FILE]   (the value: asked without echo on a terminal, else read from stdin)',
  'berth secret ls [--json]',
  'berth secret rm NAME',
].join('\n       ');

/** Reads a line from the terminal without echoing it. */
async function askHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  let value = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n') return done(() => resolve(value));
          if (char === '\u0003') return done(() => reject(new BerthError('cancelled', 'nothing set')));
          if (char === '\u007f' || char === '\b') value = [...value].slice(0, -1).join('');
          else value += char;
        }
      };
      const done = (then: () => void) => {
        stdin.off('data', onData);
        then();
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

/** Reads stdin to its end (at most one byte over the limit, so a huge input is refused, not held). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_SECRET_BYTES + 1) break;
  }
  // `echo value | berth secret set` adds one newline; it is not part of the value.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** The value of `berth secret set`: from `--from-file` as is, else the terminal or stdin. */
async function valueOf(fromFile: string | undefined, tokenOnStdin: boolean): Promise<string> {
  if (fromFile !== undefined) {
    const data = await fs.readFile(fromFile).catch((err: NodeJS.ErrnoException) => {
      throw new BerthError(
        'invalid_params',
        `--from-file ${fromFile}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`,
      );
    });
    return data.toString('utf8');
  }
  if (tokenOnStdin) {
    throw new BerthError('invalid_params', 'stdin carries the token (--token -); give the value with --from-file FILE');
  }
  if (process.stdin.isTTY) return askHidden('Value (not shown): ');
  return readStdin();
}

function printList(secrets: readonly SecretInfo[]): void {
  if (!secrets.length) return void process.stdout.write('No secrets. Set one with: berth secret set NAME\n');
  const rows = secrets.map((s) => [
    s.name,
    formatTime(s.createdAt),
    formatTime(s.updatedAt),
    s.usedBy.join(', ') || '-',
  ]);
  process.stdout.write(`${table(['NAME', 'CREATED', 'UPDATED', 'USED BY'], rows)}\n`);
}

async function set(client: AgentClient, name: string, value: string, json: boolean): Promise<void> {
  const result = await client.request('secret.set', { name, value });
  if (json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${result.created ? 'Set' : 'Updated'} secret ${name}.\n`);
  if (result.restartNeeded.length) {
    const names = result.restartNeeded.join(', ');
    process.stdout.write(
      `Running workspaces keep the old value until their next start: ${names} (berth restart ${result.restartNeeded[0] ?? ''}).\n`,
    );
  }
}

/** `berth secret`: the caller's secrets (set, list, remove); values never shown. */
export const secret: Command = {
  name: 'secret',
  summary: 'set, list or remove your secrets (values are never shown)',
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(argv, { ...CLIENT_OPTIONS, 'from-file': { type: 'string' } }, usage);
    const [action = '', ...args] = rest;
    const json = values.json ?? false;
    if (action !== 'set' && values['from-file'] !== undefined) throw new UsageError('--from-file is for set', usage);
    if (action === 'set') {
      const [name = ''] = positionals(args, ['NAME'], usage);
      const value = await valueOf(values['from-file'], values.token === '-');
      if (!value) throw new BerthError('invalid_params', `the value of ${name} is empty; nothing set`);
      await withClient(values, (client) => set(client, name, value, json));
    } else if (action === 'ls') {
      positionals(args, [], usage);
      await withClient(values, async (client) => {
        const result = await client.request('secret.list', {});
        if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else printList(result.secrets);
      });
    } else if (action === 'rm') {
      const [name = ''] = positionals(args, ['NAME'], usage);
      await withClient(values, async (client) => {
        const result = await client.request('secret.delete', { name });
        if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else process.stdout.write(`Removed secret ${result.name}.\n`);
      });
    } else {
      throw new UsageError(action ? `unknown action "${action}"` : 'missing set, ls or rm', usage);
    }
    return 0;
  },
};
