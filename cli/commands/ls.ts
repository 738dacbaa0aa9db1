import { WORKSPACE_STATES, type Workspace, type WorkspaceState } from '../../protocol';
import { CLIENT_OPTIONS, UsageError, parse, positionals } from '../args';
import { withClient, type Command } from '../command';
import { printWorkspaces } from '../workspace-view';

const usage =
  'berth ls [--state STATE] [--sort name|created|activity] [--archived] [-o wide] [--json]   (one workspace in full: berth get NAME)';

/** How `--sort` orders: names A to Z; the newest first; the most recently active (or changed) first. */
const ORDERS = {
  name: (a: Workspace, b: Workspace) => a.name.localeCompare(b.name) || a.owner.localeCompare(b.owner),
  created: (a: Workspace, b: Workspace) => Date.parse(b.createdAt) - Date.parse(a.createdAt),
  activity: (a: Workspace, b: Workspace) => lastMoved(b) - lastMoved(a),
} as const;
type Order = keyof typeof ORDERS;

/** When a workspace last showed activity or changed state, whichever is later. */
function lastMoved(ws: Workspace): number {
  return Math.max(Date.parse(ws.since), ws.lastActivity ? Date.parse(ws.lastActivity.at) : 0);
}

const isState = (text: string): text is WorkspaceState => (WORKSPACE_STATES as readonly string[]).includes(text);
const isOrder = (text: string): text is Order => Object.hasOwn(ORDERS, text);

/**
 * `berth ls`: the caller's workspaces (an admin's: everyone's) in 100 columns; `-o wide` adds the
 * rest (SSH, image, times, disk use, the full message); `berth get NAME` shows one in full.
 * `--state` keeps those in one state, `--sort` orders them (default: as the agent lists them, oldest first).
 */
export const ls: Command = {
  name: 'ls',
  summary: 'list workspaces',
  usage,
  async run(argv) {
    const { values, positionals: rest } = parse(
      argv,
      {
        ...CLIENT_OPTIONS,
        output: { type: 'string', short: 'o' },
        state: { type: 'string' },
        sort: { type: 'string' },
        archived: { type: 'boolean' },
      },
      usage,
    );
    positionals(rest, [], usage);
    if (values.output !== undefined && values.output !== 'wide') {
      throw new UsageError(`-o ${values.output}: the only output format is wide (or --json)`, usage);
    }
    const { state, sort } = values;
    if (state !== undefined && !isState(state)) {
      throw new UsageError(`--state ${state}: not a state; use one of ${WORKSPACE_STATES.join(', ')}`, usage);
    }
    if (sort !== undefined && !isOrder(sort)) {
      throw new UsageError(`--sort ${sort}: use name, created or activity`, usage);
    }
    await withClient(values, async (client) => {
      const { workspaces: all } = await client.request('workspace.list', {});
      // Archive: archived workspaces are listed apart (--archived), and counted under the others.
      const archived = all.filter((ws) => ws.archivedAt !== undefined);
      const workspaces = values.archived ? archived : all.filter((ws) => ws.archivedAt === undefined);
      if (values.archived && !workspaces.length && !values.json) {
        return void process.stdout.write('No archived workspaces. Archive one with: berth archive NAME\n');
      }
      const shown = workspaces.filter((ws) => state === undefined || ws.state === state);
      if (sort !== undefined) shown.sort(ORDERS[sort]);
      if (!shown.length && workspaces.length && !values.json) {
        return void process.stdout.write(`No ${state} workspaces (${workspaces.length} in other states).\n`);
      }
      printWorkspaces(shown, values.json ?? false, client.welcome.user.admin, values.output === 'wide');
      if (!values.archived && archived.length && !values.json) {
        process.stdout.write(`${archived.length} archived (berth ls --archived)\n`);
      }
    });
    return 0;
  },
};
