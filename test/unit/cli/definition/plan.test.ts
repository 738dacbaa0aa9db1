import * as assert from 'node:assert/strict';
import { BerthError, WorkspaceSpec, type Workspace } from '../../../../protocol';
import { planApply } from '../../../../cli/definition/plan';
import { parseWorkspaceFile } from '../../../../cli/definition/yaml-file';
import { workspaceYaml } from '../../../../cli/definition/render';

const GiB = 1024 ** 3;
const host = {
  defaultImage: 'berth-workspace:latest',
  defaults: { cpus: 2, memory: 4 * GiB, idleTimeout: 1800, idleMax: 0 },
};

function workspace(state: Workspace['state'], spec: Partial<WorkspaceSpec> = {}): Workspace {
  return {
    id: 'ws1',
    name: 'web',
    owner: 'alice',
    state,
    since: '2026-12-02T08:00:00.000Z',
    createdAt: '2026-12-02T07:00:00.000Z',
    ssh: { host: '127.0.0.1', port: 2200, user: 'dev', hostKey: 'ssh-ed25519 AAAA' },
    spec: WorkspaceSpec.parse({
      name: 'web',
      image: 'berth-workspace:latest',
      cpus: 2,
      memory: 4 * GiB,
      gpus: 0,
      env: {},
      command: '',
      user: 'dev',
      ...spec,
    }),
  };
}

const doc = (text: string) => parseWorkspaceFile(`name: web\n${text}`, 'workspace.yaml');

describe('cli: berth apply plans', () => {
  it('recreates a running container for a volume change, not for a port change', () => {
    const volumes = planApply(workspace('running'), doc('volumes: [data:/data, "/srv/sets:/sets:ro"]\n'), host);
    assert.deepEqual(volumes.changes, {
      volumes: [
        { name: 'data', target: '/data' },
        { bind: '/srv/sets', target: '/sets', readOnly: true },
      ],
    });
    assert.deepEqual(volumes.lines, [{ key: 'volumes', from: '(default)', to: '[data:/data, /srv/sets:/sets:ro]' }]);
    assert.equal(volumes.recreate, true);
    const ports = planApply(workspace('running'), doc('ports: [8888, { port: 6006, label: tb }]\n'), host);
    assert.deepEqual(ports.lines, [{ key: 'ports', from: '(default)', to: '[8888,{"port":6006,"label":"tb"}]' }]);
    assert.equal(ports.recreate, false);
  });

  it('clears volumes and ports the file leaves out', () => {
    const current = workspace('stopped', {
      volumes: [{ name: 'data', target: '/data' }],
      forwardPorts: [{ port: 80 }],
    });
    assert.deepEqual(planApply(current, doc(''), host).changes, { forwardPorts: null, volumes: null });
  });

  it('round-trips ports and volumes through berth get -o yaml', () => {
    const spec = {
      volumes: [
        { name: 'data', target: '/data' },
        { bind: '/srv/s', target: '/s', readOnly: true },
      ],
      forwardPorts: [{ port: 8888 }, { port: 5432, host: 'db' }, { port: 6006, label: 'tb' }],
    };
    const current = workspace('running', spec);
    const printed = parseWorkspaceFile(workspaceYaml(current), 'get.yaml');
    assert.deepEqual(planApply(current, printed, host).lines, []);
  });

  it('finds nothing to change when the file says what the workspace is', () => {
    const plan = planApply(workspace('running'), doc('resources: { cpus: 2, memory: 4g }\n'), host);
    assert.deepEqual(plan.lines, []);
    assert.equal(plan.recreate, false);
  });

  it('lists each change by its key, and recreates a running container only for container fields', () => {
    const plan = planApply(workspace('running'), doc('resources: { memory: 8g }\nidle: { timeout: 2h }\n'), host);
    assert.deepEqual(plan.changes, { memory: 8 * GiB, idleTimeout: 7200 });
    assert.deepEqual(plan.lines, [
      { key: 'resources.memory', from: '4g', to: '8g' },
      { key: 'idle.timeout', from: '(default)', to: '2h' },
    ]);
    assert.equal(plan.recreate, true);
    const idleOnly = planApply(workspace('running'), doc('idle: { timeout: 2h }\n'), host);
    assert.equal(idleOnly.recreate, false);
    assert.equal(planApply(workspace('stopped'), doc('resources: { memory: 8g }\n'), host).recreate, false);
  });

  it('puts a key the file leaves out back to what create gives', () => {
    const plan = planApply(
      workspace('stopped', { cpus: 8, env: { A: '1' }, gpuModel: 'H100', timezone: 'UTC', command: 'make' }),
      doc(''),
      host,
    );
    assert.deepEqual(plan.changes, { cpus: 2, env: {}, command: '', gpuModel: null, timezone: null });
  });

  it('turns Docker inside on with a new container, and off when the file leaves it out', () => {
    const on = planApply(workspace('running'), doc('docker: true\n'), host);
    assert.deepEqual(on.changes, { docker: true });
    assert.equal(on.recreate, true);
    assert.deepEqual(planApply(workspace('stopped', { docker: true }), doc(''), host).changes, { docker: null });
  });

  it('refuses to change the user: the home belongs to it', () => {
    assert.throws(
      () => planApply(workspace('stopped'), doc('user: bob\n'), host),
      (err: unknown) => err instanceof BerthError && /user is fixed once created/.test(err.message),
    );
  });
});
