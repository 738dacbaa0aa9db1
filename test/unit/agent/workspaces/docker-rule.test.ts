import * as assert from 'node:assert/strict';
import { requireDockerAllowed } from '../../../../agent/workspaces/docker-rule';
import { specHash } from '../../../../agent/workspaces/spec-hash';
import { BerthError } from '../../../../protocol';
import { workspaceSpec } from '../../../support/builders';

describe('workspaces: Docker inside only where the admin allows it', () => {
  it('refuses docker: true without the allowance, saying who must enable it and what it gives', () => {
    assert.throws(
      () => requireDockerAllowed({ allowDocker: false, allowDockerFor: [] }, { docker: true }, 'alice'),
      (err: unknown) =>
        err instanceof BerthError &&
        err.code === 'forbidden' &&
        /admin must enable it/.test(err.message) &&
        /root on the host/.test(err.message),
    );
  });

  it('lets it through with the allowance, and every spec without it anywhere', () => {
    requireDockerAllowed({ allowDocker: true, allowDockerFor: [] }, { docker: true }, 'alice');
    requireDockerAllowed({ allowDocker: false, allowDockerFor: [] }, { docker: false }, 'alice');
    requireDockerAllowed({ allowDocker: false, allowDockerFor: [] }, {}, 'alice');
  });

  it('allows it only to the users the admin named with --allow-docker-for, telling the others how to ask', () => {
    const config = { allowDocker: false, allowDockerFor: ['alice'] };
    requireDockerAllowed(config, { docker: true }, 'alice');
    requireDockerAllowed(config, { docker: false }, 'bob');
    assert.throws(
      () => requireDockerAllowed(config, { docker: true }, 'bob'),
      (err: unknown) =>
        err instanceof BerthError &&
        err.code === 'forbidden' &&
        /only to the users its admin named, and bob is not one/.test(err.message) &&
        /--allow-docker-for bob/.test(err.message),
    );
  });

  it('recreates the container when Docker is turned on, and keeps the hash of every spec without it', () => {
    const spec = workspaceSpec('web');
    assert.equal(specHash({ ...spec, docker: false }), specHash(spec));
    assert.notEqual(specHash({ ...spec, docker: true }), specHash(spec));
    // The hash that spec had before the field existed (computed with the code before it): no container is recreated.
    assert.equal(specHash(spec), '181281a07f5e12fa');
  });
});
