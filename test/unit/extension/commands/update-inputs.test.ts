import * as assert from 'node:assert/strict';
import { parseCpus, parseGpus, parseMemory } from '../../../../extension/commands/update-inputs';

const HOST = { cpus: 8, memory: 32 * 1024 ** 3, gpus: 2 };
const GiB = 1024 ** 3;

describe('extension: the answers of Change Image or Resources…', () => {
  it('reads CPUs, fractions included, up to what the host has', () => {
    assert.equal(parseCpus('0.5', HOST), 0.5);
    assert.equal(parseCpus(' 8 ', HOST), 8);
    assert.match(String(parseCpus('9', HOST)), /host has 8 CPUs/);
    assert.match(String(parseCpus('two', HOST)), /such as 2 or 0.5/);
    assert.match(String(parseCpus('', HOST)), /such as 2/);
  });

  it('reads memory with or without a unit, as the tree writes it too', () => {
    assert.equal(parseMemory('8g', HOST), 8 * GiB);
    assert.equal(parseMemory('4 GiB', HOST), 4 * GiB);
    assert.equal(parseMemory('512m', HOST), 512 * 1024 ** 2);
    assert.equal(parseMemory('16', HOST), 16 * GiB);
    assert.match(String(parseMemory('33g', HOST)), /host has 32768 MiB/);
    assert.match(String(parseMemory('32m', HOST)), /at least 64 MiB/);
    assert.match(String(parseMemory('lots', HOST)), /such as 8g/);
  });

  it('reads a whole number of GPUs up to those the host can assign', () => {
    assert.equal(parseGpus('0', HOST), 0);
    assert.equal(parseGpus('2', HOST), 2);
    assert.match(String(parseGpus('3', HOST)), /at most 2/);
    assert.match(String(parseGpus('1.5', HOST)), /whole number/);
  });
});
