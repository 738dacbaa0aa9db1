import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import type { Workspace } from '../../protocol';
import type { AgentProcess } from '../support/agent-process';
import { waitFor } from '../support/wait';
import { agentIdOf, dockerAsync, objectsOf, readMarkers, storeOf } from './support';

const TRANSITIONAL = new Set<Workspace['state']>(['creating', 'starting', 'stopping', 'deleting']);

interface ContainerFacts {
  name: string;
  running: boolean;
  hostPort: string | null;
}

/** Running state and published SSH port of each named container (absent ones are left out). */
async function containerFacts(names: string[]): Promise<Map<string, ContainerFacts>> {
  const facts = new Map<string, ContainerFacts>();
  if (!names.length) return facts;
  const out = await dockerAsync('inspect', ...names).catch((err: { stdout?: string }) => err.stdout ?? '[]');
  const inspected = JSON.parse(out || '[]') as {
    Name: string;
    State: { Running: boolean };
    HostConfig: { PortBindings?: Record<string, { HostPort: string }[] | null> | null };
  }[];
  for (const info of inspected) {
    const name = info.Name.replace(/^\//, '');
    const hostPort = info.HostConfig.PortBindings?.['22/tcp']?.[0]?.HostPort ?? null;
    facts.set(name, { name, running: info.State.Running, hostPort });
  }
  return facts;
}

/**
 * The home files a suite left in workspaces' home volumes (volume → content), and the volumes
 * whose loss is expected (deleted with their data).
 */
export interface HomeFiles {
  markers: Map<string, string>;
  deletedWithData: Set<string>;
}

/**
 * Checks what must hold after any crash and restart, and returns the workspaces as they settled:
 * - no workspace stays in a transitional state;
 * - Docker agrees with every state (running ones run and publish their own port; others do not run);
 * - no container or volume of the agent is claimed by nobody, and the orphans reported are those there are;
 * - no SSH port is held twice;
 * - no GPU is held twice, only running workspaces hold any, each as many as it asked for;
 * - no home file is lost (unless its workspace was deleted with its data).
 */
export async function checkInvariants(agent: AgentProcess, admin: AgentClient, home: HomeFiles): Promise<Workspace[]> {
  const workspaces = await waitFor(
    'no workspace in a transitional state',
    async () => {
      const list = (await admin.request('workspace.list', {})).workspaces;
      const stuck = list.filter((ws) => TRANSITIONAL.has(ws.state));
      if (stuck.length) throw new Error(`still ${stuck.map((ws) => `${ws.name} ${ws.state}`).join(', ')}`);
      return list;
    },
    60_000,
  );
  const info = await admin.request('host.info', {});
  const store = storeOf(agent);

  const facts = await containerFacts(workspaces.map((ws) => `berth-${ws.id}`));
  for (const ws of workspaces) {
    const container = facts.get(`berth-${ws.id}`);
    if (ws.state === 'running') {
      assert.ok(container?.running, `${ws.name} is running, but its container is ${container ? 'stopped' : 'gone'}`);
      assert.equal(container.hostPort, String(ws.ssh.port), `${ws.name}'s container publishes another port`);
    } else {
      assert.ok(!container?.running, `${ws.name} is ${ws.state}, but its container runs`);
    }
  }

  const objects = await objectsOf(agentIdOf(agent));
  const claimedContainers = new Set(workspaces.map((ws) => `berth-${ws.id}`));
  const claimedVolumes = new Set([...workspaces.map((ws) => `berth-${ws.id}-home`), ...store.keptVolumes]);
  const unclaimed = [
    ...objects.containers.filter((name) => !claimedContainers.has(name)).map((name) => `container ${name}`),
    ...objects.volumes.filter((name) => !claimedVolumes.has(name)).map((name) => `volume ${name}`),
  ].sort();
  assert.deepEqual([...info.orphans].sort(), unclaimed, 'the orphans reported are not the ones there are');
  assert.deepEqual(unclaimed, [], 'objects that no workspace claims');

  const ports = workspaces.map((ws) => ws.ssh.port);
  assert.equal(new Set(ports).size, ports.length, `an SSH port is held twice: ${ports.join(', ')}`);
  const published = [...facts.values()].map((c) => c.hostPort).filter(Boolean);
  assert.equal(new Set(published).size, published.length, `two containers publish one port: ${published.join(', ')}`);

  const held = workspaces.flatMap((ws) => (ws.gpus ?? []).map((gpu) => gpu.uuid));
  assert.equal(new Set(held).size, held.length, `a GPU is held twice: ${held.join(', ')}`);
  for (const ws of workspaces) {
    const count = ws.gpus?.length ?? 0;
    if (ws.state === 'running') assert.equal(count, ws.spec.gpus, `${ws.name} runs with ${count} of its GPUs`);
    else assert.equal(count, 0, `${ws.name} is ${ws.state} but holds GPUs`);
  }
  for (const gpu of info.gpus) {
    assert.ok(gpu.holders.length <= gpu.slots, `GPU ${gpu.index} has ${gpu.holders.length} holders`);
    assert.equal(gpu.free, gpu.slots - gpu.holders.length, `GPU ${gpu.index} counts its free slots wrong`);
  }
  assert.equal(
    info.gpus.reduce((sum, gpu) => sum + gpu.holders.length, 0),
    held.length,
    'host.info and the workspaces disagree on who holds GPUs',
  );

  const found = await readMarkers([...home.markers.keys()]);
  for (const [volume, content] of home.markers) {
    if (!claimedVolumes.has(volume)) {
      assert.ok(home.deletedWithData.has(volume), `the home volume ${volume} is gone, its workspace not deleted`);
      home.markers.delete(volume);
      continue;
    }
    assert.equal(found.get(volume), content, `a home file in ${volume} is lost`);
  }
  return workspaces;
}
