import * as assert from 'node:assert/strict';
import {
  gpuModels,
  gpusOfModel,
  specOf,
  stepTitle,
  stepsFor,
} from '../../../../../extension/commands/create-wizard/answers';
import { gpu, host } from './hosts';

describe('create wizard: steps and the spec they make', () => {
  it('asks name, image, CPUs, memory and idle on a host without GPUs', () => {
    assert.deepEqual(stepsFor(host()), ['name', 'image', 'cpus', 'memory', 'idle']);
  });

  it('asks for GPUs on a host with one model, and for the model first where it has more', () => {
    assert.deepEqual(stepsFor(host({ gpus: [gpu('0', 'H100'), gpu('1', 'H100')] })), [
      'name',
      'image',
      'cpus',
      'memory',
      'gpus',
      'idle',
    ]);
    assert.deepEqual(stepsFor(host({ gpus: [gpu('0', 'H100'), gpu('1', 'T4')] })), [
      'name',
      'image',
      'cpus',
      'memory',
      'gpuModel',
      'gpus',
      'idle',
    ]);
  });

  it('counts a GPU in MIG mode as no model of its own: only its slices are assigned', () => {
    const info = host({ gpus: [gpu('0', 'A100', { mig: true }), gpu('0:1', 'A100 MIG 1g.5gb')] });
    assert.deepEqual(gpuModels(info), ['A100 MIG 1g.5gb']);
    assert.deepEqual(stepsFor(info).includes('gpuModel'), false);
  });

  it('offers the GPUs of the chosen model only, and all of them for any model', () => {
    const info = host({ gpus: [gpu('0', 'H100'), gpu('1', 'T4'), gpu('2', 'H100')] });
    assert.deepEqual(
      gpusOfModel(info, 'H100').map((g) => g.index),
      ['0', '2'],
    );
    assert.deepEqual(
      gpusOfModel(info, null).map((g) => g.index),
      ['0', '1', '2'],
    );
  });

  it('titles each step with its place, the host only on the first', () => {
    const steps = stepsFor(host());
    assert.equal(stepTitle('Lab Host', steps, 0), 'New workspace on Lab Host (1/5): name');
    assert.equal(stepTitle('Lab Host', steps, 2), 'New workspace (3/5): CPUs');
    assert.equal(stepTitle('Lab Host', steps, 4), 'New workspace (5/5): stop when idle');
  });

  it('leaves host defaults out of the spec, so the agent applies its own', () => {
    assert.deepEqual(
      specOf({ name: 'web', image: 'debian:12', cpus: null, memory: null, idleTimeout: null, gpus: 0 }),
      {
        name: 'web',
        image: 'debian:12',
        gpus: 0,
      },
    );
  });

  it('sends custom values as given, and a GPU model only with GPUs', () => {
    assert.deepEqual(
      specOf({
        name: 'train',
        image: 'x:1',
        cpus: 3.5,
        memory: 6 * 1024 ** 3,
        gpuModel: 'T4',
        gpus: 1,
        idleTimeout: 0,
      }),
      { name: 'train', image: 'x:1', cpus: 3.5, memory: 6 * 1024 ** 3, gpus: 1, gpuModel: 'T4', idleTimeout: 0 },
    );
    assert.equal(specOf({ name: 'cpu-only', gpuModel: 'T4', gpus: 0 }).gpuModel, undefined);
  });
});

describe('create wizard: clone on create', () => {
  const remote = { url: 'https://h/team/app.git', branch: 'dev', credentials: true };

  it('adds the repository step only with a remote, and its secret step only where credentials may be needed', () => {
    const base = ['name', 'image', 'cpus', 'memory', 'idle'];
    assert.deepEqual(stepsFor(host(), { remote: null, secrets: ['T'] }), base);
    assert.deepEqual(stepsFor(host(), { remote, secrets: [] }), [...base, 'clone']);
    assert.deepEqual(stepsFor(host(), { remote, secrets: ['T'] }), [...base, 'clone', 'cloneSecret']);
    assert.deepEqual(stepsFor(host(), { remote: { ...remote, credentials: false }, secrets: ['T'] }), [
      ...base,
      'clone',
    ]);
    assert.deepEqual(stepsFor(host(), { remote, secrets: ['T'] }, { clone: null }), [...base, 'clone']);
  });

  it('makes the same spec as berth create --clone URL --branch B --clone-secret NAME', () => {
    assert.deepEqual(specOf({ name: 'w', clone: { url: remote.url, branch: 'dev' }, cloneSecret: 'T' }), {
      name: 'w',
      clone: { url: remote.url, branch: 'dev', secret: 'T' },
      secrets: [{ key: 'T', file: '/run/secrets/T' }],
    });
    assert.deepEqual(specOf({ name: 'w', clone: { url: remote.url }, cloneSecret: null }), {
      name: 'w',
      clone: { url: remote.url },
    });
    assert.deepEqual(specOf({ name: 'w', clone: null }), { name: 'w' });
  });
});
