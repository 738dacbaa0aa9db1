import * as assert from 'node:assert/strict';
import { requireDockerAllowed } from '../../../../agent/workspaces/docker-rule';
import { specHash } from '../../../../agent/workspaces/spec-hash';
import { BerthError } from '../../../../protocol';
import { workspaceSpec } from '../../../support/builders';

describe('workspaces: Docker inside only where the admin allows it', () => {
  it('refuses docker: true without the allowance, saying who must enable it and what it gives', () => {
    assert.throws(
      () => requireDockerAllowed({ allowDocker: false }, { docker: true }),
      (err: unknown) =>
        err instanceof BerthError &&
        err.code === 'forbidden' &&
        /admin must enable it/.test(err.message) &&
        /root on the host/.test(err.message),
    );
  });

  it('lets it through with the allowance, and every spec without it anywhere', () => {
    requireDockerAllowed({ allowDocker: true }, { docker: true });
    requireDockerAllowed({ allowDocker: false }, { docker: false });
    requireDockerAllowed({ allowDocker: false }, {});
  });

  it('recreates the container when Docker is turned on, and keeps the hash of every spec without it', () => {
    const spec = workspaceSpec('web');
    assert.equal(specHash({ ...spec, docker: false }), specHash(spec));
    assert.notEqual(specHash({ ...spec, docker: true }), specHash(spec));
    // The hash that spec had before the field existed (computed with the code before it): no container is recreated.
    assert.equal(specHash(spec), '181281a07f5e12fa');
  });
});
