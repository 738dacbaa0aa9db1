import { BerthError } from '../protocol';
import { AGENT_VERSION } from '../agent/version';
import { HelpRequest, UsageError } from './args';
import { optionsHelp } from './options';
import type { Command } from './command';
import { apply } from './commands/apply';
import { archive, unarchive } from './commands/archive';
import { create } from './commands/create';
import { exec } from './commands/exec';
import { get } from './commands/get';
import { gpus } from './commands/gpus';
import { homes } from './commands/homes';
import { volumes } from './commands/volumes';
import { host } from './commands/host';
import { idle, keepalive } from './commands/idle';
import { info } from './commands/info';
import { init } from './commands/init';
import { key } from './commands/key';
import { restart, start, stop } from './commands/lifecycle';
import { logs } from './commands/logs';
import { ls } from './commands/ls';
import { quota } from './commands/quota';
import { rm } from './commands/rm';
import { serve } from './commands/serve';
import { ssh } from './commands/ssh';
import { token } from './commands/token';
import { trash } from './commands/trash';
import { update } from './commands/update';
import { user } from './commands/user';
import { rebuild } from './commands/rebuild';
import { clone } from './commands/clone';
import { config } from './commands/config';
import { secret } from './commands/secret';
import { feature } from './commands/feature';
import { backup } from './commands/backup';
import { restore } from './commands/restore';
import { move } from './commands/move';

/** Every command, in the order `berth --help` lists them. */
export const COMMANDS: Command[] = [
  ls,
  get,
  create,
  start,
  stop,
  restart,
  update,
  rebuild,
  clone,
  config,
  init,
  apply,
  rm,
  homes,
  volumes,
  secret,
  archive,
  unarchive,
  trash,
  backup,
  restore,
  move,
  ssh,
  logs,
  exec,
  idle,
  keepalive,
  info,
  gpus,
  key,
  token,
  user,
  quota,
  host,
  serve,
  feature,
];

/** Commands that never connect to an agent, so take none of the options that pick one. */
const OFFLINE = new Set(['serve', 'host']);
const CLIENT_HELP =
  'agent: --host NAME (or BERTH_HOST; default: berth host ls), or --url URL (or BERTH_URL) with the token in BERTH_TOKEN or on stdin (--token -)';

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `berth ${AGENT_VERSION}: containerized workspaces on a shared compute host`,
    '',
    'Usage: berth COMMAND [options]   (berth COMMAND --help for its options)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Clients find the agent through, first to last: --url/--token, --host NAME, BERTH_URL/BERTH_TOKEN,',
    'BERTH_HOST, the default host (berth host ls, berth host use). The hosts are saved in',
    '$BERTH_CONFIG or ~/.config/berth/config.json.',
  ].join('\n');
}

/** Runs the CLI and returns its exit code: 0 success, 1 failure, 2 usage error. Errors are one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${overview()}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`berth: unknown command "${name}"; run berth --help for the list\n`);
    return 2;
  }
  // After `--` the words are a command's (berth ssh NAME -- git --help), not berth's.
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (own.includes('--help') || own.includes('-h')) return help(command, rest);
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`berth ${name}: ${err.message}\n${err.brief ? '' : `usage: ${err.usage}\n`}`);
      return 2;
    }
    const message = err instanceof BerthError ? err.message : err instanceof Error ? err.message : String(err);
    process.stderr.write(`berth ${name}: ${message}\n`);
    return 1;
  }
}

/**
 * `berth COMMAND --help`: its usage, then each option with its meaning and default. The command
 * itself says which options it takes: its parser answers `--help` with a {@link HelpRequest} before
 * doing anything.
 */
async function help(command: Command, argv: string[]): Promise<number> {
  let options = {};
  let usage = command.usage;
  try {
    await command.run(argv);
  } catch (err) {
    if (err instanceof HelpRequest) ({ options, usage } = err);
  }
  process.stdout.write(`usage: ${usage}\n${optionsHelp(command.name, options)}\n`);
  if (!OFFLINE.has(command.name)) process.stdout.write(`${CLIENT_HELP}\n`);
  return 0;
}
