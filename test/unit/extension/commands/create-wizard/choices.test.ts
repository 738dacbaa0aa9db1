import * as assert from 'node:assert/strict';
import {
  activeIndex,
  cpuChoices,
  gpuModelChoices,
  idleChoices,
  idleWords,
  imageChoices,
  imageProblem,
  listedForm,
  memoryChoices,
  parseCpus,
  parseMemory,
} from '../../../../../extension/commands/create-wizard/choices';
import { WorkspaceSpec } from '../../../../../protocol';
import { GiB, gpu, host } from './hosts';

const IMAGES = ['berth-workspace:latest', 'debian:bookworm', 'ghcr.io/org/cuda:12.4'];
const rows = (choices: { label: string; description?: string; problem?: string }[]) =>
  choices.map((c) => [c.label, c.description ?? '', c.problem ?? '']);

describe('create wizard: the image step', () => {
  it('refuses a malformed reference with the protocol’s own message', () => {
    const protocol = WorkspaceSpec.shape.image.safeParse('Debian:12');
    assert.ok(!protocol.success);
    const message = protocol.error.issues[0]?.message ?? '';
    assert.match(message, /^the repository path must be lowercase; an image reference is /);
    assert.equal(imageProblem('Debian:12', IMAGES), `T${message.slice(1)}`);
    assert.match(imageProblem('a//b', null) ?? '', /^"a\/\/b" has an empty path component/);
  });

  it('refuses an image the host does not have, since the agent never pulls', () => {
    assert.match(imageProblem('ubuntu:24.04', IMAGES) ?? '', /^ubuntu:24\.04 is not on this host.*pick one/);
  });

  it('takes an absent image from a registry the agent pulls from, saying it will be pulled', () => {
    const registries = ['ghcr.io', 'docker.io'];
    assert.equal(imageProblem('ghcr.io/org/cuda:13.0', IMAGES, registries), null);
    assert.equal(imageProblem('ubuntu:24.04', IMAGES, registries), null, 'a bare name is Docker Hub');
    assert.match(
      imageProblem('quay.io/org/x:1', IMAGES, ['ghcr.io']) ?? '',
      /^quay\.io\/org\/x:1 is not on this host, and this host pulls only from ghcr\.io; pick one/,
    );
    assert.deepEqual(rows(imageChoices('ghcr.io/org/cuda:13.0', IMAGES, 'berth-workspace:latest', registries))[0], [
      'ghcr.io/org/cuda:13.0',
      'as typed: pulled from ghcr.io on create',
      '',
    ]);
    assert.deepEqual(
      rows(imageChoices('ghcr.io/org/cuda:12.4', IMAGES, 'berth-workspace:latest', registries))[0],
      ['berth-workspace:latest', 'host default', ''],
      'an image the host has is picked from the list, not pulled',
    );
  });

  it('takes a listed image in the forms Docker accepts for it', () => {
    assert.equal(imageProblem('debian:bookworm', IMAGES), null);
    assert.equal(imageProblem('berth-workspace', IMAGES), null, 'no tag means :latest');
    assert.equal(imageProblem('docker.io/library/debian:bookworm', IMAGES), null);
    assert.equal(listedForm('docker.io/org/x'), 'org/x:latest');
    assert.equal(listedForm('localhost:5000/x'), 'localhost:5000/x:latest', 'a registry port is no tag');
  });

  it('leaves a digest to the agent, and takes any well-formed image when the host lists none', () => {
    assert.equal(imageProblem(`debian@sha256:${'a'.repeat(64)}`, IMAGES), null);
    assert.equal(imageProblem('ubuntu:24.04', null), null);
  });

  it('lists the host’s default image first', () => {
    assert.deepEqual(
      imageChoices('', ['a:1', 'berth-workspace:latest', 'z:2'], 'berth-workspace:latest').map((c) => c.value),
      ['berth-workspace:latest', 'a:1', 'z:2'],
    );
  });

  it('lists the host’s images with the default marked, and what was typed first with its problem', () => {
    assert.deepEqual(rows(imageChoices('', IMAGES, 'berth-workspace:latest')), [
      ['berth-workspace:latest', 'host default', ''],
      ['debian:bookworm', '', ''],
      ['ghcr.io/org/cuda:12.4', '', ''],
    ]);
    const typed = imageChoices('ubuntu', IMAGES, 'berth-workspace:latest');
    assert.equal(typed.length, 4);
    assert.equal(typed[0]?.label, '$(error) ubuntu');
    assert.match(typed[0]?.detail ?? '', /not on this host/);
    assert.equal(typed[0]?.alwaysShow, true);
  });

  it('makes a listed image that holds the typed text active rather than the refused text', () => {
    const choices = imageChoices('deb', IMAGES, 'berth-workspace:latest');
    assert.equal(choices[activeIndex(choices, 'deb')]?.value, 'debian:bookworm');
    const none = imageChoices('zzz', IMAGES, 'berth-workspace:latest');
    assert.ok(none[activeIndex(none, 'zzz')]?.problem, 'nothing else to take: the refused row, which Enter ignores');
  });
});

describe('create wizard: CPUs and memory', () => {
  it('shows the host default with its number, then the presets that fit the host', () => {
    assert.deepEqual(rows(cpuChoices('', host({ cpus: 4 }))), [
      ['Host default', '2 CPUs', ''],
      ['1 CPU', '', ''],
      ['2 CPUs', '', ''],
      ['4 CPUs', '', ''],
    ]);
    assert.deepEqual(rows(memoryChoices('', host({ memory: 3 * GiB }))), [
      ['Host default', '4 GiB', ''],
      ['1 GiB', '', ''],
      ['2 GiB', '', ''],
    ]);
  });

  it('offers no host default where an older agent does not state it', () => {
    assert.equal(cpuChoices('', host({ defaults: undefined }))[0]?.label, '1 CPU');
  });

  it('takes a custom value as typed, first in the list', () => {
    assert.deepEqual(parseCpus('1.5', host()), { value: 1.5 });
    assert.deepEqual(rows(cpuChoices('3', host())).slice(0, 1), [['3 CPUs', 'as typed', '']]);
    assert.deepEqual(parseMemory('6g', host()), { value: 6 * GiB });
    assert.deepEqual(parseMemory('1.5 GiB', host()), { value: 1.5 * GiB });
    assert.deepEqual(parseMemory('512m', host()), { value: 512 * 1024 ** 2 });
    assert.deepEqual(rows(memoryChoices('6g', host())).slice(0, 1), [['6 GiB', 'as typed', '']]);
  });

  it('refuses values outside the spec’s limits with the protocol’s words', () => {
    assert.deepEqual(parseCpus('0.001', host()), {
      problem: 'CPUs must be at least 0.01 (the smallest CPU share Docker sets)',
    });
    assert.deepEqual(parseMemory('10m', host()), { problem: 'Memory must be at least 64 MiB' });
  });

  it('refuses more than the host has, and text that is no number or size', () => {
    assert.deepEqual(parseCpus('17', host()), { problem: 'This host has 16 CPUs; ask for at most 16' });
    assert.deepEqual(parseMemory('64g', host()), { problem: 'This host has 32 GiB of memory; ask for at most that' });
    assert.match((parseCpus('two', host()) as { problem: string }).problem, /not a number of CPUs/);
    assert.deepEqual(parseMemory('8', host()), { problem: 'Give a unit: 8g, 8m or 8 GiB' });
    const refused = cpuChoices('99', host());
    assert.equal(refused.length, 1);
    assert.equal(refused[0]?.problem, 'This host has 16 CPUs; ask for at most 16');
  });
});

describe('create wizard: idle and GPU model', () => {
  it('says what the host default is', () => {
    assert.deepEqual(rows(idleChoices(host())), [
      ['Host default', 'after 1 h', ''],
      ['After 30 minutes', '', ''],
      ['After 2 hours', '', ''],
      ['After 8 hours', '', ''],
      ['Never', '', ''],
    ]);
    assert.equal(idleWords(0), 'never');
    assert.equal(idleWords(5400), 'after 1 h 30 min');
    assert.equal(idleWords(2700), 'after 45 min');
  });

  it('offers only what the admin’s idle cap allows', () => {
    const capped = host({ defaults: { cpus: 2, memory: 4 * GiB, idleTimeout: 1800, idleMax: 7200 } });
    assert.deepEqual(
      idleChoices(capped).map((c) => c.label),
      ['Host default', 'After 30 minutes', 'After 2 hours'],
    );
  });

  it('lists each GPU model with how many of it are free', () => {
    const info = host({ gpus: [gpu('0', 'H100', { free: 0 }), gpu('1', 'H100'), gpu('2', 'T4')] });
    assert.deepEqual(rows(gpuModelChoices(info, ['H100', 'T4'])), [
      ['Any model', '2 of 3 free', ''],
      ['H100', '1 of 2 free', ''],
      ['T4', '1 of 1 free', ''],
    ]);
  });

  it('preselects the previous answer when nothing is typed', () => {
    const choices = idleChoices(host());
    assert.equal(choices[activeIndex(choices, '', 7200)]?.label, 'After 2 hours');
    assert.equal(choices[activeIndex(choices, '', null)]?.label, 'Host default');
  });
});
