import * as assert from 'node:assert/strict';
import { dockerInDockerFromFeatures, isDockerInDockerFeature } from '../../../protocol/docker-in-docker';

describe('protocol: the devcontainer feature docker-in-docker as docker: true', () => {
  it('knows the feature by its ids, at any version', () => {
    for (const id of [
      'ghcr.io/devcontainers/features/docker-in-docker:2',
      'ghcr.io/devcontainers/features/docker-in-docker',
      'ghcr.io/devcontainers/features/docker-in-docker:latest',
      `ghcr.io/devcontainers/features/docker-in-docker@sha256:${'a'.repeat(64)}`,
      'docker-in-docker',
    ]) {
      assert.ok(isDockerInDockerFeature(id), id);
    }
  });

  it('does not take the features that hand in the host socket, or look-alikes, for it', () => {
    for (const id of [
      'ghcr.io/devcontainers/features/docker-outside-of-docker:1',
      'ghcr.io/devcontainers/features/docker-from-docker:1',
      'ghcr.io/someone/features/docker-in-docker:1',
      './docker-in-docker',
      'docker-in-docker-extra',
    ]) {
      assert.equal(isDockerInDockerFeature(id), false, id);
    }
  });

  it('maps a features object to the spec field, whatever the options', () => {
    const features = {
      'ghcr.io/devcontainers/features/node:1': {},
      'ghcr.io/devcontainers/features/docker-in-docker:2': { version: 'latest', moby: true },
    };
    assert.deepEqual(dockerInDockerFromFeatures(features), {
      docker: true,
      feature: 'ghcr.io/devcontainers/features/docker-in-docker:2',
    });
    assert.equal(dockerInDockerFromFeatures({ 'ghcr.io/devcontainers/features/node:1': {} }), null);
    assert.equal(dockerInDockerFromFeatures(undefined), null);
    assert.equal(dockerInDockerFromFeatures(['docker-in-docker']), null);
  });
});
