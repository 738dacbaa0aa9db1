import * as assert from 'node:assert/strict';
import type { ClientEvent } from '../../agent/cli/client';
import type { HostConfig, HostStatus } from '../../extension/hosts/host';
import { hostChildren, hostNode, workspaceNode, type TreeNode } from '../../extension/tree/model';
import { EventFrame, WORKSPACE_STATES, parseEvent, type Workspace, type WorkspaceState } from '../../protocol';

const HOST: HostConfig = { id: 'lab', label: 'Lab', url: 'ws://lab.example.org:7447' };
const CONNECTED: HostStatus = {
  kind: 'connected',
  welcome: { protocol: 1, agentVersion: '0.1.0', host: 'lab-1', user: { name: 'alice', admin: false } },
};
const GiB = 1024 ** 3;

/** A workspace as the agent reports it; any field may be overridden. */
function workspace(name: string, extra: Partial<Workspace> = {}, spec: Partial<Workspace['spec']> = {}): Workspace {
  return {
    id: `${name}-0000000000`.slice(0, 12),
    name,
    owner: 'alice',
    spec: {
      name,
      image: 'berth-workspace:latest',
      cpus: 2,
      memory: 4 * GiB,
      gpus: 0,
      env: {},
      command: '',
      user: 'dev',
      ...spec,
    },
    state: 'running',
    since: '2024-05-01T10:05:00.000Z',
    createdAt: '2024-05-01T10:00:00.000Z',
    ssh: { host: '127.0.0.1', port: 2222, user: 'dev', hostKey: 'ssh-ed25519 AAAA' },
    ...extra,
  };
}

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

  it('has a Markdown tooltip with image, CPU, memory, GPUs, SSH port, creation time and the state message', () => {
    const ws = workspace('web', { state: 'failed', message: 'sshd did not answer' }, { gpus: 1 });
    const tooltip = workspaceNode(HOST, ws).tooltip;
    assert.ok(tooltip.startsWith('**web** — failed since 2024-05-01 10:05:00 UTC\n\nsshd did not answer\n\n'));
    for (const row of [
      '| Image | `berth-workspace:latest` |',
      '| CPU | 2 |',
      '| Memory | 4 GiB |',
      '| GPUs | 1 |',
      '| SSH | dev@127.0.0.1 port 2222 |',
      '| Created | 2024-05-01 10:00:00 UTC |',
    ])
      assert.ok(tooltip.includes(`\n${row}`), row);
  });

  it('keeps its id `workspace:<host>:<id>` whatever its state, so expansion and selection survive', () => {
    const ids = WORKSPACE_STATES.map((state) => workspaceNode(HOST, workspace('web', { state })).id);
    assert.deepEqual(new Set(ids), new Set(['workspace:lab:web-00000000']));
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
          id: 'web-00000000',
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
      [
        frame('workspace.removed', { id: 'api-00000000', name: 'api', owner: 'alice' }),
        ['web: stopped · 2 CPU · 4 GiB'],
      ],
      [
        frame('workspace.removed', { id: 'web-00000000', name: 'web', owner: 'alice' }),
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
    assert.deepEqual(new Set(ids.flat()), new Set(['workspace:lab:web-00000000']));
  });

  it('refuses a malformed event frame before it reaches the tree', () => {
    assert.equal(parseEvent(EventFrame.parse({ event: 'workspace.changed', data: { workspace: { id: 'x' } } })), null);
  });
});
