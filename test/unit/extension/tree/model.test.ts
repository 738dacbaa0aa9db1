import * as assert from 'node:assert/strict';
import type { ClientEvent } from '../../../../client/agent-client';
import type { HostConfig, HostStatus } from '../../../../extension/hosts/host';
import {
  hostChildren,
  hostNode,
  workspaceNode,
  workspaceTooltip,
  type TreeNode,
} from '../../../../extension/tree/model';
import { EventFrame, WORKSPACE_STATES, parseEvent, type Workspace, type WorkspaceState } from '../../../../protocol';
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

describe('tree: workspace nodes', () => {
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
      assert.equal(node.contextValue, `workspace+${state}`);
      assert.equal(node.description, `${state} · 2 CPU · 4 GiB`);
    });
  }

  it('tags and describes a workspace with GPUs', () => {
    const one = workspaceNode(HOST, workspace('train', {}, { gpus: 1 }));
    assert.equal(one.contextValue, 'workspace+running+gpu');
    assert.equal(one.description, 'running · 2 CPU · 4 GiB · 1 GPU');
    const two = workspaceNode(
      HOST,
      workspace('train', { state: 'stopped' }, { gpus: 2, cpus: 0.5, memory: 512 * 1024 ** 2 }),
    );
    assert.equal(two.contextValue, 'workspace+stopped+gpu');
    assert.equal(two.description, 'stopped · 0.5 CPU · 512 MiB · 2 GPUs');
  });

  it('shows the GPUs a running workspace holds: indexes in the description, models and UUIDs in the tooltip', () => {
    const gpus = [
      { uuid: 'GPU-0b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8', index: '0', name: 'NVIDIA H100 80GB HBM3' },
      { uuid: 'MIG-e07a497d-1bb6-5a42-b670-1c33bf55ab6e', index: '1:0', name: 'NVIDIA A100 MIG 3g.20gb' },
    ];
    const node = workspaceNode(HOST, workspace('train', { gpus }, { gpus: 2 }));
    assert.equal(node.description, 'running · 2 CPU · 4 GiB · 2 GPUs (0, 1:0)');
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
    assert.ok(tooltip.startsWith('**web** — failed since 2024-05-01 10:05:00 UTC\n\nsshd did not answer\n\n'));
    for (const row of [
      '| Image | `berth-workspace:latest` |',
      '| CPU | 2 |',
      '| Memory | 4 GiB |',
      '| GPUs | 1, assigned when it starts |',
      '| SSH | dev@127.0.0.1 port 2222 |',
      '| Created | 2024-05-01 10:00:00 UTC |',
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

  it('explains an idle stop and the last activity (time, signal, how long ago) in the tooltip', () => {
    const ws = workspace('web', {
      state: 'stopped',
      stopReason: 'idle',
      lastActivity: { at: '2024-05-01T11:00:00.000Z', signal: 'present' },
    });
    const tooltip = workspaceTooltip(ws, 'Lab', Date.parse('2024-05-01T11:42:10.000Z'));
    assert.ok(tooltip.includes('\n\nStopped for idleness: nobody was present and it was not busy.\n\n'), tooltip);
    assert.ok(tooltip.includes('\n\nLast activity: present, 2024-05-01 11:00:00 UTC (42 min ago).\n\n'), tooltip);
  });

  it('says in the tooltip of a running workspace when the idle monitor will stop it, and a keepalive', () => {
    const ws = workspace('web', {
      idleStopAt: '2024-05-01T12:25:00.000Z',
      keepUntil: '2024-05-01T12:25:00.000Z',
      lastActivity: { at: '2024-05-01T11:30:00.000Z', signal: 'keepalive' },
    });
    const tooltip = workspaceTooltip(ws, 'Lab', Date.parse('2024-05-01T12:13:00.000Z'));
    assert.ok(tooltip.includes('Stops in 12 min (2024-05-01 12:25:00 UTC) unless someone is present or it is busy.'));
    assert.ok(tooltip.includes('Kept running until 2024-05-01 12:25:00 UTC.'));
    assert.ok(tooltip.includes('Last activity: keepalive, 2024-05-01 11:30:00 UTC (43 min ago).'));
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
    assert.equal(retrying[0]?.tooltip, 'Click to reconnect now');
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
        ['api: starting · 2 CPU · 4 GiB · 1 GPU', 'web: running · 2 CPU · 4 GiB'],
      ],
      [
        frame('workspace.changed', { workspace: workspace('web', { state: 'stopped' }) }),
        ['api: starting · 2 CPU · 4 GiB · 1 GPU', 'web: stopped · 2 CPU · 4 GiB'],
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
      /\| Disk \| home 3 GiB, container 512 MiB \(measured 2024-05-01 12:00:00 UTC\) \|/,
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
