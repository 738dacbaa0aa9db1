import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { validSpec } from '../../../../agent/workspaces/spec-rules';
import { BerthError } from '../../../../protocol';

const spec = (memory: number) => ({
  name: 'web',
  image: 'berth-workspace:latest',
  cpus: 1,
  memory,
  gpus: 0,
  env: {},
  command: '',
  user: 'dev',
});

describe('agent: spec rules against the host', () => {
  it('accepts as much memory as the host has', () => {
    assert.equal(validSpec(spec(os.totalmem())).memory, os.totalmem());
  });

  it('refuses more memory than the host has, saying how much there is', () => {
    assert.throws(
      () => validSpec(spec(os.totalmem() + 1024 ** 2)),
      (err: unknown) =>
        err instanceof BerthError &&
        err.code === 'invalid_params' &&
        /^memory: this host has \d+ MiB of memory; ask for at most \d+ MiB/.test(err.message),
    );
  });
});
