import * as assert from 'node:assert/strict';
import { specSize, unmetRequirements } from '../../../../client/devcontainer/requirements';

describe('client: devcontainer.json hostRequirements against the host', () => {
  it('reads sizes as the spec writes them', () => {
    assert.equal(specSize('8gb'), 8 * 1024 ** 3);
    assert.equal(specSize('512MB'), 512 * 1024 ** 2);
    assert.equal(specSize('1024'), 1024);
    assert.equal(specSize('lots'), null);
  });

  it('says which requirement the host cannot meet, with what it has', () => {
    const unmet = unmetRequirements(
      { cpus: { value: 64, at: 'f:2:3' }, memory: { value: 2 * 1024 ** 4, at: 'f:3:3' } },
      { host: 'lab', cpus: 8, memory: 16 * 1024 ** 3 },
    );
    assert.deepEqual(unmet, [
      'f:2:3: hostRequirements.cpus 64: host lab has 8 CPUs; create it on a larger host, or lower the requirement',
      'f:3:3: hostRequirements.memory 2048.0 GiB: host lab has 16.0 GiB; create it on a larger host, or lower the requirement',
    ]);
  });

  it('lets a host that has enough through', () => {
    assert.deepEqual(unmetRequirements({ cpus: { value: 2, at: 'f' } }, { host: 'lab', cpus: 2, memory: 1 }), []);
  });
});
