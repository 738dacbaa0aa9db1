import * as assert from 'node:assert/strict';
import type { ClientEvent } from '../../../../client/agent-client';
import type { HostConfig, HostStatus } from '../../../../extension/hosts/host';
import { descendants, hostChildren, hostNode, workspaceNode, type TreeNode } from '../../../../extension/tree/model';
import { workspaceTooltip } from '../../../../extension/tree/tooltip';
import {
  EventFrame,
  WORKSPACE_STATES,
  parseEvent,
  type HostInfo,
  type Workspace,
  type WorkspaceState,
} from '../../../../protocol';
import { idOf, workspace } from '../../../support/builders';

const HOST: HostConfig = { id: 'lab', label: 'Lab', url: 'ws://lab.example.org:7447' };
const CONNECTED: HostStatus = {
  kind: 'connected',
  welcome: { protocol: 1, agentVersion: '0.1.0', host: 'lab-1', user: { name: 'alice', admin: false } },
};
const GiB = 1024 ** 3;
const WEB = idOf('web');

/** An event frame as it comes off the wire, validated by the protocol as the client does. */
function frame(event: string, data: unknown): ClientEvent {
  const parsed = parseEvent(EventFrame.parse(JSON.parse(JSON.stringify({ event, data }))));
  assert.ok(parsed, `${event} is a valid event`);
  return parsed;
}

/** Applies an event to the cache the way HostConnection does. */
function apply(cache: Map<string, Workspace>, event: ClientEvent): void {
  if (event.event === 'workspace.changed') cache.set(event.data.workspace.id, event.data.workspace);
  else if (event.event === 'workspace.removed') cache.delete(event.data.id);
}

/** What the tree shows under the host: label and description (or command, for a hint) of each child. */
function rendered(children: TreeNode[]): string[] {
  return children.map((node) => `${node.label}: ${node.kind === 'hint' ? node.command : node.description}`);
}

/** Times in these tests read in UTC whatever the machine's zone (the tree writes local times with their zone). */
function inUtc(): void {
  let zone: string | undefined;
  before(() => {
    zone = process.env.TZ;
    process.env.TZ = 'UTC';
  });
  after(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });
}

describe('tree: workspace nodes', () => {
  inUtc();
  const icons: Record<WorkspaceState, { id: string; color?: string }> = {
    running: { id: 'vm-running', color: 'testing.iconPassed' },
    stopped: { id: 'vm-outline' },
    failed: { id: 'error', color: 'testing.iconFailed' },
    creating: { id: 'loading~spin' },
    starting: { id: 'loading~spin' },
    stopping: { id: 'loading~spin' },
    deleting: { id: 'loading~spin' },
  };
  for (const state of WORKSPACE_STATES) {
    it(`shows a ${state} workspace with its icon, colour, state tag and description`, () => {
      const node = workspaceNode(HOST, workspace('web', { state }));
      assert.deepEqual(node.icon, icons[state]);
      assert.equal(node.contextValue, `workspace+${state}+own`);
      assert.equal(node.description, `${state} · 2 CPU · 4 GiB`);
    });
  }

  it('tags and describes a workspace with GPUs', () => {
    const one = workspaceNode(HOST, workspace('train', {}, { gpus: 1 }));
    assert.equal(one.contextValue, 'workspace+running+gpu+own');
    assert.equal(one.description, 'running · 1× GPU · 2 CPU · 4 GiB');
    const two = workspaceNode(
      HOST,
      workspace('train', { state: 'stopped' }, { gpus: 2, cpus: 0.5, memory: 512 * 1024 ** 2 }),
    );
    assert.equal(two.contextValue, 'workspace+stopped+gpu+own');
    assert.equal(two.description, 'stopped · 2× GPU · 0.5 CPU · 512 MiB');
    const model = workspaceNode(HOST, workspace('train', { state: 'stopped' }, { gpus: 4, gpuModel: 'A100' }));
    assert.equal(model.description, 'stopped · 4× A100 · 2 CPU · 4 GiB', 'the model asked for while it holds none');
  });

  it('shows the GPUs a running workspace holds: models in the description, indexes and UUIDs in the tooltip', () => {
    const gpus = [
      { uuid: 'GPU-0b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8', index: '0', name: 'NVIDIA H100 80GB HBM3' },
      { uuid: 'MIG-e07a497d-1bb6-5a42-b670-1c33bf55ab6e', index: '1:0', name: 'NVIDIA A100 MIG 3g.20gb' },
    ];
    const node = workspaceNode(HOST, workspace('train', { gpus }, { gpus: 2 }));
    assert.equal(node.description, 'running · 2× H100+A100 3g.20gb · 2 CPU · 4 GiB');
    const h100 = [{ uuid: 'GPU-0b1f2a3c-4d5e', index: '0', name: 'NVIDIA H100 80GB HBM3' }];
    assert.equal(
      workspaceNode(HOST, workspace('t', { gpus: h100 }, { gpus: 1 })).description,
      'running · 1× H100 · 2 CPU · 4 GiB',
    );
    assert.ok(
      node.tooltip.includes(
        '\n| GPUs | 0: NVIDIA H100 80GB HBM3 (`GPU-0b1f2a3c…`); 1:0: NVIDIA A100 MIG 3g.20gb (`MIG-e07a497d…`) |',
      ),
      node.tooltip,
    );
    const waiting = workspaceNode(
      HOST,
      workspace('train', { state: 'stopped' }, { gpus: 1, gpuModel: 'H100', gpuMemory: 40 * GiB }),
    );
    assert.ok(waiting.tooltip.includes('| GPUs | 1 "H100", ≥ 40 GiB, assigned when it starts |'), waiting.tooltip);
  });

  it('has a Markdown tooltip with image, CPU, memory, GPUs, SSH port, creation time and the state message', () => {
    const ws = workspace('web', { state: 'failed', message: 'sshd did not answer' }, { gpus: 1 });
    const tooltip = workspaceNode(HOST, ws).tooltip;
    assert.ok(tooltip.startsWith('**web** — failed since 2024-05-01 10:05 UTC\n\nsshd did not answer\n\n'), tooltip);
    for (const row of [
      '| Image | `berth-workspace:latest` |',
      '| CPU | 2 |',
      '| Memory | 4 GiB |',
      '| GPUs | 1, assigned when it starts |',
      // In a code span, so that VS Code does not make a mailto link of it.
      '| SSH | `dev@127.0.0.1` port 2222 |',
      '| Created | 2024-05-01 10:00 UTC |',
    ]) {
      assert.ok(tooltip.includes(`\n${row}`), row);
    }
  });

  it('says why a workspace stopped by itself after "stopped", and nothing more after a user\'s stop', () => {
    const described = (stopReason: Workspace['stopReason']) =>
      workspaceNode(HOST, workspace('web', { state: 'stopped', stopReason })).description;
    assert.equal(described('idle'), 'stopped (idle) · 2 CPU · 4 GiB');
    assert.equal(described('attached-grace'), 'stopped (idle, attached) · 2 CPU · 4 GiB');
    assert.equal(described('max-lifetime'), 'stopped (max lifetime) · 2 CPU · 4 GiB');
    assert.equal(described('outside'), 'stopped (outside Berth) · 2 CPU · 4 GiB');
    assert.equal(described('user'), 'stopped · 2 CPU · 4 GiB');
    assert.equal(described(undefined), 'stopped · 2 CPU · 4 GiB');
  });

  it('explains an idle stop and the last activity (time and signal) in the tooltip', () => {
    const ws = workspace('web', {
      state: 'stopped',
      stopReason: 'idle',
      lastActivity: { at: '2024-05-01T11:00:00.000Z', signal: 'present' },
    });
    const tooltip = workspaceTooltip(ws, 'Lab', Date.parse('2024-05-01T11:42:10.000Z'));
    assert.ok(tooltip.includes('\n\nStopped for idleness: nobody was present and it was not busy.\n\n'), tooltip);
    assert.ok(tooltip.includes('\n\nLast activity: present, 2024-05-01 11:00 UTC.\n\n'), tooltip);
  });

  it('says in the tooltip of a running workspace when the idle monitor will stop it, and a keepalive', () => {
    const ws = workspace('web', {
      idleStopAt: '2024-05-01T12:25:00.000Z',
      keepUntil: '2024-05-01T12:25:00.000Z',
      lastActivity: { at: '2024-05-01T11:30:00.000Z', signal: 'keepalive' },
    });
    const tooltip = workspaceTooltip(ws, 'Lab', Date.parse('2024-05-01T12:13:00.000Z'));
    assert.ok(tooltip.includes('Stops at 2024-05-01 12:25 UTC unless someone is present or it is busy.'), tooltip);
    assert.ok(tooltip.includes('Kept running until 2024-05-01 12:25 UTC.'));
    assert.ok(tooltip.includes('Last activity: keepalive, 2024-05-01 11:30 UTC.'));
    assert.ok(!workspaceTooltip(workspace('web'), 'Lab').includes('Stops'), 'no deadline, no line');
  });

  it('keeps its id `workspace:<host>:<id>` whatever its state, so expansion and selection survive', () => {
    const ids = WORKSPACE_STATES.map((state) => workspaceNode(HOST, workspace('web', { state })).id);
    assert.deepEqual(new Set(ids), new Set([`workspace:lab:${WEB}`]));
  });
});

describe('tree: host nodes and their children', () => {
  const now = 1_700_000_000_000;

  it('describes a connected host by user and host name', () => {
    const node = hostNode(HOST, CONNECTED, now);
    assert.deepEqual([node.id, node.description, node.contextValue], ['host:lab', 'alice@lab-1', 'host+connected']);
  });

  it('shows a host in error with the reconnect countdown while it retries', () => {
    const node = hostNode(HOST, { kind: 'error', message: 'connection lost', retryAt: now + 4_200 }, now);
    assert.equal(node.description, 'reconnecting in 5 s');
    assert.equal(node.contextValue, 'host+error');
    assert.deepEqual(node.icon, { id: 'warning', color: 'problemsWarningIcon.foreground' });
  });

  it('says "not connected" for a refused token, which is not retried', () => {
    const status: HostStatus = { kind: 'error', message: 'invalid token', code: 'unauthorized' };
    assert.equal(hostNode(HOST, status, now).description, 'not connected');
  });

  it('gives a host in error one hint child saying what is wrong, with the reconnect command', () => {
    const retrying = hostChildren(HOST, { kind: 'error', message: 'connection lost', retryAt: now }, []);
    assert.deepEqual(rendered(retrying), ['connection lost: berth.host.reconnect']);
    assert.match(retrying[0]?.tooltip ?? '', /^Click to reconnect now\./);
    const refused = hostChildren(HOST, { kind: 'error', message: 'invalid token', code: 'unauthorized' }, []);
    assert.deepEqual(rendered(refused), ['Token refused: click to enter a new one: berth.host.reconnect']);
    assert.equal(refused[0]?.tooltip, 'invalid token');
    assert.notEqual(refused[0]?.id, hostChildren(HOST, CONNECTED, [])[0]?.id, 'the error and the empty hint differ');
  });

  it('shows nothing under a host that is still connecting', () => {
    assert.deepEqual(hostChildren(HOST, { kind: 'connecting' }, [workspace('web')]), []);
  });

  it('offers to create a workspace under an empty connected host', () => {
    assert.deepEqual(rendered(hostChildren(HOST, CONNECTED, [])), [
      'No workspaces yet: create one: berth.workspace.create',
    ]);
  });

  it('lists workspaces sorted by name', () => {
    const children = hostChildren(
      HOST,
      CONNECTED,
      ['web', 'api', 'train'].map((name) => workspace(name)),
    );
    assert.deepEqual(
      children.map((node) => node.label),
      ['api', 'train', 'web'],
    );
  });
});

describe('tree: rendering from a stream of agent events', () => {
  inUtc();
  it('follows create, progress, stop, a second workspace and a delete, event by event', () => {
    const cache = new Map<string, Workspace>();
    const steps: [ClientEvent, string[]][] = [
      [
        frame('workspace.changed', { workspace: workspace('web', { state: 'creating' }) }),
        ['web: creating · 2 CPU · 4 GiB'],
      ],
      [
        frame('workspace.progress', {
          requestId: 1,
          id: WEB,
          name: 'web',
          phase: 'waiting-for-ssh',
          message: '',
        }),
        ['web: creating · 2 CPU · 4 GiB'],
      ],
      [frame('workspace.changed', { workspace: workspace('web') }), ['web: running · 2 CPU · 4 GiB']],
      [
        frame('workspace.changed', { workspace: workspace('api', { state: 'starting' }, { gpus: 1 }) }),
        ['api: starting · 1× GPU · 2 CPU · 4 GiB', 'web: running · 2 CPU · 4 GiB'],
      ],
      [
        frame('workspace.changed', { workspace: workspace('web', { state: 'stopped' }) }),
        ['api: starting · 1× GPU · 2 CPU · 4 GiB', 'web: stopped · 2 CPU · 4 GiB'],
      ],
      [frame('workspace.removed', { id: idOf('api'), name: 'api', owner: 'alice' }), ['web: stopped · 2 CPU · 4 GiB']],
      [
        frame('workspace.removed', { id: WEB, name: 'web', owner: 'alice' }),
        ['No workspaces yet: create one: berth.workspace.create'],
      ],
    ];
    for (const [i, [event, expected]] of steps.entries()) {
      apply(cache, event);
      assert.deepEqual(rendered(hostChildren(HOST, CONNECTED, cache.values())), expected, `after event ${i + 1}`);
    }
  });

  it('keeps the node id of a workspace across its events', () => {
    const cache = new Map<string, Workspace>();
    const ids = (['creating', 'running', 'stopping', 'stopped'] as const).map((state) => {
      apply(cache, frame('workspace.changed', { workspace: workspace('web', { state }) }));
      return hostChildren(HOST, CONNECTED, cache.values()).map((node) => node.id);
    });
    assert.deepEqual(new Set(ids.flat()), new Set([`workspace:lab:${WEB}`]));
  });

  it('shows the disk use in the tooltip, and a warning in the row and tooltip when the owner is over the quota', () => {
    const at = '2024-05-01T12:00:00.000Z';
    const measured = workspace('web', { disk: { home: 3 * GiB, layer: 512 * 1024 ** 2, at } });
    assert.match(
      workspaceTooltip(measured, 'Lab'),
      /\| Disk \| home 3 GiB, container 512 MiB \(measured 2024-05-01 12:00 UTC\) \|/,
    );
    assert.doesNotMatch(workspaceNode(HOST, measured).description, /quota/);
    assert.doesNotMatch(workspaceTooltip(workspace('web'), 'Lab'), /Disk/, 'not measured yet: no row');
    const over = workspace('web', {
      disk: { home: 30 * GiB, layer: 0, at, overQuota: { used: 31 * GiB, quota: 20 * GiB } },
    });
    assert.match(workspaceNode(HOST, over).description, / · over disk quota$/);
    assert.match(
      workspaceTooltip(over, 'Lab'),
      /alice's workspaces take 31 GiB of disk, over the 20 GiB quota: new workspaces are refused/,
    );
  });
});

describe('tree: rows at a glance (issue #12)', () => {
  inUtc();
  const ADMIN: HostStatus = {
    kind: 'connected',
    welcome: { protocol: 1, agentVersion: '0.1.0', host: 'lab-1', user: { name: 'alice', admin: true } },
  };
  const h100 = [{ uuid: 'GPU-0b1f2a3c-4d5e', index: '0', name: 'NVIDIA H100 80GB HBM3' }];

  it('leads the description with state, GPUs and the pending idle stop, before the sizes a narrow side bar cuts', () => {
    const ws = workspace('train', { gpus: h100, idleStopAt: '2024-05-01T21:16:00.000Z' }, { gpus: 1 });
    assert.equal(workspaceNode(HOST, ws).description, 'running · 1× H100 · stops 21:16 · 2 CPU · 4 GiB');
    const plain = workspace('web', { idleStopAt: '2024-05-01T09:05:00.000Z' });
    assert.equal(workspaceNode(HOST, plain).description, 'running · stops 09:05 · 2 CPU · 4 GiB');
    const stopped = workspace('web', { state: 'stopped', idleStopAt: '2024-05-01T09:05:00.000Z' });
    assert.equal(workspaceNode(HOST, stopped).description, 'stopped · 2 CPU · 4 GiB', 'no stop time once stopped');
  });

  it('draws a clock once the idle stop was warned, and tells the stops apart by icon', () => {
    const due = workspace('web', { idleStopAt: '2024-05-01T09:05:00.000Z' });
    assert.equal(workspaceNode(HOST, due).icon.id, 'vm-running');
    assert.deepEqual(workspaceNode(HOST, due, { own: true, warned: true }).icon, {
      id: 'clock',
      color: 'problemsWarningIcon.foreground',
    });
    const icon = (stopReason?: Workspace['stopReason']) =>
      workspaceNode(HOST, workspace('web', { state: 'stopped', stopReason })).icon.id;
    assert.equal(icon('user'), 'vm-outline');
    assert.equal(icon('idle'), 'watch');
    assert.equal(icon('outside'), 'circle-slash');
    assert.equal(new Set([icon('user'), icon('idle'), icon('outside')]).size, 3);
  });

  it('builds tooltips of absolute times only, so one drawn a minute ago still reads true', () => {
    const ws = workspace('web', {
      idleStopAt: '2024-05-01T12:25:00.000Z',
      lastActivity: { at: '2024-05-01T11:55:00.000Z', signal: 'present' },
    });
    const at = Date.parse('2024-05-01T11:55:00.000Z');
    const drawn = workspaceTooltip(ws, 'Lab', at);
    assert.equal(workspaceTooltip(ws, 'Lab', at + 60_000), drawn, 'a minute later the same words hold');
    assert.doesNotMatch(drawn, /just now|min ago|in \d+ min/);
  });

  it('escapes names and messages in the Markdown tooltip, and keeps the SSH address out of a mailto link', () => {
    const ws = workspace('web', { message: 'see <http://x> or mail ops@example.org [now](command:x)' });
    const tooltip = workspaceTooltip(ws, 'Lab *bold*');
    assert.ok(tooltip.includes('| SSH | `dev@127.0.0.1` port 2222 |'));
    assert.ok(tooltip.includes('| Host | Lab \\*bold\\* |'), tooltip);
    assert.ok(!/[^\\][[<]/.test(tooltip.split('\n\n')[1] ?? ''), tooltip);
  });

  it("shows another user's workspace with its owner, without connect actions or default command", () => {
    const theirs = workspaceNode(HOST, workspace('web', { owner: 'bob' }), { own: false });
    assert.equal(theirs.label, 'bob/web');
    assert.equal(theirs.contextValue, 'workspace+running');
    assert.equal(theirs.command, undefined);
    assert.match(
      theirs.tooltip,
      /bob's workspace: Connect, Open Terminal and Copy SSH Command work only for its owner/,
    );
    const mine = workspaceNode(HOST, workspace('web'));
    assert.equal(mine.label, 'web');
    assert.equal(mine.command, 'berth.workspace.connect', 'Enter or a double-click connects');
    assert.equal(workspaceNode(HOST, workspace('web', { state: 'stopped' })).command, undefined);
  });

  it('groups an admin\'s view into "My Workspaces" and "All Workspaces", owners in the labels of others\'', () => {
    const list = [workspace('web'), { ...workspace('web', { owner: 'bob' }), id: idOf('bob-web') }, workspace('api')];
    const children = hostChildren(HOST, ADMIN, list);
    assert.deepEqual(
      children.map((node) => [node.label, node.kind === 'group' ? node.description : '']),
      [
        ['My Workspaces', '2'],
        ['All Workspaces', '3'],
      ],
    );
    const [mine, all] = children;
    assert.ok(mine?.kind === 'group' && all?.kind === 'group');
    assert.deepEqual(
      mine.children.map((node) => node.label),
      ['api', 'web'],
    );
    assert.deepEqual(
      all.children.map((node) => node.label),
      ['api', 'web', 'bob/web'],
    );
    const ids = descendants(children).map((node) => node.id);
    assert.equal(new Set(ids).size, ids.length, 'every row has an id of its own');
    assert.equal(mine.children[0]?.id, `workspace:lab:${idOf('api')}`, 'my rows keep their ids');
    // A user who is no admin, or an admin alone on the host, sees a plain list.
    assert.deepEqual(
      hostChildren(HOST, ADMIN, [workspace('web')]).map((node) => node.kind),
      ['workspace'],
    );
  });

  it('puts the agent version and what is free in the host tooltip', () => {
    const info = {
      agentVersion: '0.2.0',
      protocol: 1,
      host: 'lab-1',
      user: { name: 'alice', admin: false },
      docker: null,
      cpus: 8,
      memory: 16 * GiB,
      defaultImage: 'berth-workspace:latest',
      sshPorts: { first: 2200, last: 2299, used: 1 },
      workspaces: { total: 1, running: 1 },
      allocated: { cpus: 2, memory: 4 * GiB },
      gpus: [],
      gpuSharing: 1,
      orphans: [],
    };
    const tooltip = hostNode(HOST, CONNECTED, Date.now(), info).tooltip;
    assert.match(tooltip, /^Berth agent 0\.2\.0 on lab-1$/m);
    assert.match(tooltip, /^Free: 6 of 8 CPUs free · 12 GiB of 16 GiB free$/m);
    assert.match(hostNode(HOST, CONNECTED).tooltip, /^Berth agent 0\.1\.0 on lab-1$/m, 'before host.info answers');
  });

  it('words an unreachable host for a VS Code user: no --url, no BERTH_URL, no berth serve', () => {
    const message =
      'cannot reach the Berth agent at ws://127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1); is "berth serve" running there? Set --url or BERTH_URL';
    const [hint] = hostChildren(HOST, { kind: 'error', message, retryAt: 1 }, []);
    assert.equal(
      hint?.label,
      'cannot reach the Berth agent at ws://127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1); is the Berth agent running there?',
    );
    assert.doesNotMatch(hostNode(HOST, { kind: 'error', message }).tooltip, /--url|BERTH_URL|berth serve/);
  });
  it('says plainly in the tooltip that a workspace running Docker inside is privileged, and only then', () => {
    const docker = workspaceNode(HOST, workspace('ci', {}, { docker: true }));
    assert.match(
      docker.tooltip,
      /\*\*Privileged:\*\* Docker runs inside this workspace, so root in it is root on the host/,
    );
    assert.doesNotMatch(workspaceNode(HOST, workspace('web')).tooltip, /Privileged|Docker/);
  });
  it("says in the host's tooltip when its agent allows Docker inside, and that it is privileged", () => {
    const info: HostInfo = {
      agentVersion: '0.1.0',
      protocol: 1,
      host: 'lab-1',
      user: { name: 'alice', admin: false },
      docker: null,
      cpus: 8,
      memory: 16 * GiB,
      defaultImage: 'berth-workspace:latest',
      sshPorts: { first: 2200, last: 2399, used: 0 },
      workspaces: { total: 0, running: 0 },
      gpus: [],
      gpuSharing: 1,
      orphans: [],
    };
    const allowed = hostNode(HOST, CONNECTED, Date.now(), { ...info, dockerInDocker: true }).tooltip;
    assert.match(allowed, /^Docker inside workspaces: allowed \(privileged: root on the host\)$/m);
    assert.doesNotMatch(hostNode(HOST, CONNECTED, Date.now(), info).tooltip, /Docker inside/);
  });
});
