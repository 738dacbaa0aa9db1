import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkspaceName } from '../../protocol';
import { CLIENT_OPTIONS, UsageError, parse } from '../args';
import { withClient, type Command } from '../command';
import { initTemplate } from '../definition/render';
import { workspaceFileOf } from '../definition/from-devcontainer';
import { readDevcontainer } from '../devcontainer';

const usage = 'berth init [NAME] [-f FILE] [--from-devcontainer [PATH]] [--force]';

/** `--from-devcontainer` with no PATH after it (last, or before another option) means the current folder. */
function withDevcontainerPath(argv: string[]): string[] {
  const at = argv.indexOf('--from-devcontainer');
  if (at < 0) return argv;
  const next = argv[at + 1];
  return next === undefined || next.startsWith('-') ? [...argv.slice(0, at + 1), '.', ...argv.slice(at + 1)] : argv;
}

/** A workspace name made from a folder's name: `My_Project 2` → `my-project-2`; null when none can be. */
export function nameFromFolder(folder: string): string | null {
  const name = path
    .basename(folder)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return WorkspaceName.safeParse(name).success ? name : null;
}

/** `berth init`: writes a commented workspace.yaml with the host's defaults, to edit and `berth apply`. */
export const init: Command = {
  name: 'init',
  summary: "write a commented workspace.yaml with the host's defaults",
  usage,
  async run(argv) {
    const options = {
      ...CLIENT_OPTIONS,
      file: { type: 'string', short: 'f' },
      force: { type: 'boolean' },
      'from-devcontainer': { type: 'string' },
    } as const;
    const { values, positionals: rest } = parse(withDevcontainerPath(argv), options, usage);
    if (rest.length > 1) throw new UsageError(`unexpected argument "${rest[1]}"`, usage);
    const name = rest[0] ?? nameFromFolder(process.cwd());
    if (!name) throw new UsageError("this folder's name makes no workspace name; give one: berth init NAME", usage);
    const checked = WorkspaceName.safeParse(name);
    if (!checked.success) {
      throw new UsageError(`NAME "${name}" ${checked.error.issues[0]?.message ?? 'is not valid'}`, usage);
    }
    const file = values.file ?? 'workspace.yaml';
    const from = values['from-devcontainer'];
    // From a devcontainer.json: its translation (warnings and refusals printed; a refusal writes nothing).
    const derived = from === undefined ? undefined : workspaceFileOf(name, await readDevcontainer(from, name), file);
    for (const line of derived?.notCarried ?? []) process.stderr.write(`warning: ${line}\n`);
    const text =
      derived?.text ??
      (await withClient(values, async (client) => {
        const info = await client.request('host.info', {});
        return initTemplate({
          name,
          image: info.defaultImage,
          cpus: info.defaults?.cpus ?? 2,
          memory: info.defaults?.memory ?? 4 * 1024 ** 3,
          idleTimeout: info.defaults?.idleTimeout ?? 1800,
          user: 'dev',
        });
      }));
    try {
      await writeFile(file, text, { flag: values.force ? 'w' : 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new UsageError(`${file} exists; edit it, or overwrite it with --force`, usage);
      }
      throw err;
    }
    process.stdout.write(`wrote ${file}: edit it, then create the workspace with: berth apply -f ${file}\n`);
    return 0;
  },
};
