import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { withClient, type Command } from '../command';

const usage = 'berth config get | set dotfiles URL | unset dotfiles [--json]';

/** The settings `berth config` knows, by their names on the command line. */
const KEYS = ['dotfiles'] as const;

/**
 * `berth config`: your own settings on the host. `dotfiles URL`: a git repository cloned into every
 * new workspace's home and installed (its install.sh, install, bootstrap.sh, bootstrap, setup.sh or
 * setup; otherwise its dotfiles linked into the home).
 */
export const config: Command = {
  name: 'config',
  summary: 'show or change your settings on the host (dotfiles)',
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(argv, { ...CLIENT_OPTIONS }, usage);
    const [action = '', key, value, ...extra] = rest;
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`, usage);
    const known = (k: string | undefined): k is (typeof KEYS)[number] => KEYS.includes(k as (typeof KEYS)[number]);
    await withClient(values, async (client) => {
      let settings;
      if (action === 'get') {
        positionals(rest.slice(1), [], usage);
        ({ settings } = await client.request('settings.get', {}));
      } else if (action === 'set' || action === 'unset') {
        if (!known(key)) throw new UsageError(`expected a setting: ${KEYS.join(', ')}`, usage);
        if (action === 'set' && value === undefined) {
          throw new UsageError(`berth config set ${key} needs a value`, usage);
        }
        if (action === 'unset' && value !== undefined) throw new UsageError(`unexpected argument "${value}"`, usage);
        ({ settings } = await client.request('settings.set', { [key]: action === 'set' ? value : null }));
      } else {
        throw new UsageError(`expected get, set or unset${action ? `, not "${action}"` : ''}`, usage);
      }
      if (values.json) return void process.stdout.write(`${JSON.stringify(settings)}\n`);
      for (const k of KEYS) process.stdout.write(`${k}  ${settings[k] ?? '(none)'}\n`);
    });
    return 0;
  },
};
