import * as assert from 'node:assert/strict';
import type { HostInfo, Workspace } from '../../../../protocol';
import { targetRefusal, type TargetView } from '../../../../client/transfer/target-checks';

const GiB = 1024 ** 3;
const ws = {
  name: 'web',
  owner: 'alice',
  spec: { image: 'berth-workspace:latest', cpus: 2, memory: 4 * GiB, gpus: 0 },
  disk: { home: 10 * GiB, layer: 0, at: '2026-12-02T00:00:00Z' },
} as unknown as Workspace;
const info = {
  user: { name: 'alice', admin: false },
  cpus: 8,
  memory: 32 * GiB,
  gpus: [],
  sshPorts: { first: 2200, last: 2209, used: 3 },
  dockerInDocker: false,
  disk: { at: null, users: [{ user: 'alice', bytes: 5 * GiB, quota: 100 * GiB }] },
} as unknown as HostInfo;
const view = (changes: Partial<TargetView> = {}): TargetView => ({
  host: 'lab2',
  info,
  images: ['berth-workspace:latest'],
  workspaces: [],
  ...changes,
});

describe('client/transfer: what the target of a move is asked before any byte moves', () => {
  it('takes a workspace that fits', () => {
    assert.equal(targetRefusal(ws, 'alice', view()), null);
  });

  it('refuses another owner, a name taken, no port, too few CPUs, memory or GPUs, Docker inside, no image, the quota', () => {
    const cases: [Partial<TargetView>, Partial<Workspace['spec']> | null, RegExp][] = [
      [
        { info: { ...info, user: { name: 'bob', admin: true } } },
        null,
        /"web" is alice's, but your token on host "lab2" is bob's/,
      ],
      [{ workspaces: [{ ...ws }] }, null, /host "lab2" already has a workspace called "web"/],
      [{ info: { ...info, sshPorts: { first: 2200, last: 2209, used: 10 } } }, null, /no free SSH port/],
      [{ info: { ...info, cpus: 1 } }, null, /asks for 2 CPUs; host "lab2" has 1/],
      [{ info: { ...info, memory: 2 * GiB } }, null, /of memory; host "lab2" has/],
      [{}, { gpus: 1 }, /asks for 1 GPUs; host "lab2" has 0/],
      [{}, { docker: true }, /runs Docker inside; host "lab2" does not allow it/],
      [{ images: ['other:latest'] }, null, /the image berth-workspace:latest is not on host "lab2"/],
      [
        { info: { ...info, disk: { at: null, users: [{ user: 'alice', bytes: 95 * GiB, quota: 100 * GiB }] } } },
        null,
        /past its quota/,
      ],
    ];
    for (const [target, spec, reason] of cases) {
      const moved = spec ? { ...ws, spec: { ...ws.spec, ...spec } } : ws;
      assert.match(targetRefusal(moved, 'alice', view(target)) ?? '', reason);
    }
  });

  it('an untagged image is looked for as :latest; one by digest is left to the target', () => {
    const untagged = { ...ws, spec: { ...ws.spec, image: 'berth-workspace' } };
    assert.equal(targetRefusal(untagged, 'alice', view()), null);
    const digest = { ...ws, spec: { ...ws.spec, image: 'img@sha256:' + 'a'.repeat(64) } };
    assert.equal(targetRefusal(digest, 'alice', view({ images: [] })), null);
  });

  it("leaves an image the target lacks to the target's agent when it pulls from the image's registry", () => {
    const pulled = { ...ws, spec: { ...ws.spec, image: 'ghcr.io/org/cuda:13.0' } };
    const pulls = { ...info, pullRegistries: ['ghcr.io'] };
    assert.equal(targetRefusal(pulled, 'alice', view({ info: pulls, images: [] })), null);
    assert.match(targetRefusal(pulled, 'alice', view({ images: [] })) ?? '', /is not on host "lab2"; pull or build/);
  });
});
