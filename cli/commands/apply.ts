import * as path from 'node:path';
import { BerthError } from '../../protocol';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { printWorkspace, withClient, withProgress, type Command } from '../command';
import { planApply } from '../definition/plan';
import { specOf, type Build } from '../definition/schema';
import { readWorkspaceFile } from '../definition/yaml-file';
import { readBuild, type BuildInput } from '../../client/build';
import { buildForSpec } from '../build-flags';

const usage = 'berth apply -f FILE [--dry-run] [--json]';

/** A definition's `build:` as the builder takes it: the folder relative to the file, the Dockerfile inside it. */
function buildInput(build: Build, file: string): BuildInput {
  // The Dockerfile's path is checked with the build (a relative path inside the folder, no "..").
  const { context, ...rest } = build;
  return { contextDir: path.resolve(path.dirname(file), context), ...rest };
}

/**
 * `berth apply -f workspace.yaml`: creates the workspace the file defines, or changes the one of that
 * name to match it. It first prints what changes and whether the running container is recreated
 * (on its home volume, with its host key); `--dry-run` stops there.
 */
export const apply: Command = {
  name: 'apply',
  summary: 'create or update a workspace from a workspace.yaml (berth init writes one)',
  usage,
  async run(argv) {
    const options = {
      ...CLIENT_OPTIONS,
      file: { type: 'string', short: 'f' },
      'dry-run': { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
    } as const;
    const { values, positionals: rest } = parse(argv, options, usage);
    positionals(rest, [], usage);
    if (!values.file) throw new UsageError('missing -f FILE (the workspace.yaml to apply)', usage);
    const file = values.file;
    const doc = await readWorkspaceFile(file);
    const say = (text: string) => void (values.json ? process.stderr : process.stdout).write(`${text}\n`);
    await withClient(values, async (client) => {
      const existing = await client
        .request('workspace.get', { name: doc.name })
        .then(({ workspace }) => workspace)
        .catch((err: unknown) => {
          if (err instanceof BerthError && err.code === 'not_found') return null;
          throw err;
        });
      const quiet = values.quiet ?? values.json ?? false;
      const input = doc.build ? buildInput(doc.build, file) : null;
      if (!existing) {
        say(`${doc.name}: does not exist; ${values['dry-run'] ? 'apply would create it' : 'creating it'}`);
        if (values['dry-run']) return;
        const { workspace } = await withProgress(quiet, async (o) => {
          const built = input ? await buildForSpec(client, input, quiet, o.signal) : {};
          return client.request('workspace.create', { ...specOf(doc), ...built }, o);
        });
        return printWorkspace(workspace, values.json ?? false, values);
      }
      // The build comes first (a cache hit when the folder is unchanged): its image decides the plan.
      const built = !input
        ? undefined
        : values['dry-run']
          ? { build: (await readBuild(input)).build }
          : await withProgress(quiet, (o) => buildForSpec(client, input, quiet, o.signal));
      const plan = planApply(existing, doc, await client.request('host.info', {}), built);
      if (!plan.lines.length) {
        say(`${doc.name}: unchanged (it matches ${values.file})`);
        if (values.json) printWorkspace(existing, true);
        return;
      }
      const width = Math.max(...plan.lines.map((line) => line.key.length));
      say(`${doc.name}: ${plan.lines.length === 1 ? '1 change' : `${plan.lines.length} changes`}`);
      for (const line of plan.lines) say(`  ${line.key.padEnd(width)}  ${line.from} → ${line.to}`);
      if (plan.changes.volumes !== undefined) {
        say(
          '  volumes change: they need a new container (made now when it runs, else at its next start); the named volumes keep their files',
        );
      }
      say(
        plan.recreate
          ? '  the running container is recreated: running processes end; the home and the host key stay'
          : existing.state === 'running'
            ? '  no new container needed'
            : '  takes effect at its next start',
      );
      if (values['dry-run']) return say('(dry run: nothing changed)');
      const { workspace } = await withProgress(quiet, (o) =>
        client.request('workspace.update', { name: doc.name, changes: plan.changes }, o),
      );
      printWorkspace(workspace, values.json ?? false, values);
    });
    return 0;
  },
};
