import * as assert from 'node:assert/strict';
import {
  allowPullHint,
  allowedRegistry,
  imageRefParts,
  imageRegistry,
  pullAllowed,
} from '../../../protocol/image-registry';

const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('protocol: the registry an image reference is pulled from', () => {
  const table: [string, string][] = [
    ['debian', 'docker.io'],
    ['debian:bookworm', 'docker.io'],
    ['library/debian:12', 'docker.io'],
    ['org/image', 'docker.io'],
    ['docker.io/library/debian', 'docker.io'],
    ['index.docker.io/library/debian', 'docker.io'],
    ['mcr.microsoft.com/devcontainers/base:ubuntu', 'mcr.microsoft.com'],
    ['registry.lab:5000/team/tool:1', 'registry.lab:5000'],
    ['127.0.0.1:5000/tiny:1', '127.0.0.1:5000'],
    ['localhost/x', 'localhost'],
    ['localhost:5000/x', 'localhost:5000'],
    ['[::1]:5000/x:v1', '[::1]:5000'],
    [`ghcr.io/org/image@${digest}`, 'ghcr.io'],
    [`ghcr.io/org/image:1.2@${digest}`, 'ghcr.io'],
    [`debian@${digest}`, 'docker.io'],
    // Uppercase in the first component makes it a registry, as Docker reads it; matched as written.
    ['Registry.Example.COM/org/image', 'Registry.Example.COM'],
    ['Docker.io/library/debian', 'Docker.io'],
    // A tag never carries a host: the port-like part after the last "/" is a tag.
    ['org/image:5000', 'docker.io'],
    ['evil.com:5000/docker.io/x', 'evil.com:5000'],
    ['docker.io.evil.com/x', 'docker.io.evil.com'],
  ];
  for (const [ref, registry] of table) {
    it(`reads ${ref.length > 48 ? `${ref.slice(0, 45)}…` : ref} as from ${registry}`, () => {
      assert.equal(imageRegistry(ref), registry);
    });
  }

  const hostile = [
    'docker.io@evil',
    'docker.io@evil.com/x',
    'evil.com@docker.io/x',
    'user:pass@evil.com/x',
    'docker.io/../evil.com/x',
    'docker.io/./x',
    'docker.io//x',
    'docker.io/x/',
    '/x',
    'docker.io/Library/debian',
    'DEBIAN',
    'https://evil.com/x',
    'evil.com/x y',
    'evil.com/x\ndocker.io/y',
    'docker.io/x#evil.com',
    'docker.io/x?evil.com',
    'docker.io\\evil.com/x',
    'docker.io/x:tag@sha256:short',
    `x@${digest}@evil.com`,
    '',
    `docker.io/${'a'.repeat(300)}`,
  ];
  for (const ref of hostile) {
    it(`gives no registry for the hostile ${JSON.stringify(ref.length > 40 ? `${ref.slice(0, 37)}…` : ref)}`, () => {
      assert.equal(imageRegistry(ref), null);
      assert.equal(pullAllowed(ref, ['docker.io', 'evil.com', 'evil.com:5000']), false);
    });
  }

  it('splits a reference into the name, tag and digest Docker pulls by', () => {
    assert.deepEqual(imageRefParts(`registry.lab:5000/a/b:1.0@${digest}`), {
      registry: 'registry.lab:5000',
      name: 'registry.lab:5000/a/b',
      tag: '1.0',
      digest,
    });
    assert.deepEqual(imageRefParts('debian'), { registry: 'docker.io', name: 'debian' });
  });
});

describe('protocol: the allow-list of registries to pull from', () => {
  it('allows a reference whose registry is listed exactly', () => {
    assert.equal(pullAllowed('debian:bookworm', ['docker.io']), true);
    assert.equal(pullAllowed('index.docker.io/library/debian', ['docker.io']), true);
    assert.equal(pullAllowed(`mcr.microsoft.com/x@${digest}`, ['mcr.microsoft.com']), true);
    assert.equal(pullAllowed('registry.lab:5000/t', ['registry.lab:5000']), true);
  });

  it('refuses a port, a subdomain, a suffix or a case the list does not name', () => {
    assert.equal(pullAllowed('registry.lab:5000/t', ['registry.lab']), false);
    assert.equal(pullAllowed('registry.lab/t', ['registry.lab:5000']), false);
    assert.equal(pullAllowed('x.registry.lab/t', ['registry.lab']), false);
    assert.equal(pullAllowed('registry.lab.evil.com/t', ['registry.lab']), false);
    assert.equal(pullAllowed('Docker.io/library/debian', ['docker.io']), false);
    assert.equal(pullAllowed('debian', ['mcr.microsoft.com']), false);
    assert.equal(pullAllowed('debian', []), false);
  });

  it('never pulls an image id', () => {
    assert.equal(pullAllowed(digest, ['docker.io']), false);
    assert.equal(pullAllowed('0123456789ab', ['docker.io']), false);
  });

  it("never pulls a name of Berth's own images, which anyone may own on Docker Hub", () => {
    const hash = 'ab'.repeat(32);
    for (const ref of [
      `berth-build/alice-${hash}:0123456789abcdef`,
      `docker.io/berth-build/alice-${hash}:0123456789abcdef`,
      `index.docker.io/berth-build/bob-x:1`,
      'berth-sshd:0123456789ab',
      'docker.io/library/berth-sshd:0123456789ab',
    ]) {
      assert.equal(pullAllowed(ref, ['docker.io']), false, ref);
      assert.match(allowPullHint(ref), /never pulls them/, ref);
    }
    assert.equal(pullAllowed('registry.lab/berth-build/x:1', ['registry.lab']), true, 'another registry names its own');
    assert.equal(pullAllowed('berth-builders/x:1', ['docker.io']), true, 'a name that only starts alike');
  });

  it('hints at --allow-pull with the registry, and not for an image id, which no pull gets', () => {
    assert.match(allowPullHint('ghcr.io/org/x:1'), /berth serve --allow-pull ghcr\.io\)$/);
    assert.match(allowPullHint(digest), /^an image id names an image on this host/);
    assert.match(allowPullHint('0123456789ab'), /^an image id names an image on this host/);
  });

  it('reads --allow-pull REGISTRY, Docker Hub under one name', () => {
    assert.deepEqual(allowedRegistry('docker.io'), { registry: 'docker.io' });
    assert.deepEqual(allowedRegistry('index.docker.io'), { registry: 'docker.io' });
    assert.deepEqual(allowedRegistry('registry.lab:5000'), { registry: 'registry.lab:5000' });
    assert.deepEqual(allowedRegistry('127.0.0.1:5000'), { registry: '127.0.0.1:5000' });
    assert.deepEqual(allowedRegistry('[::1]:5000'), { registry: '[::1]:5000' });
  });

  const refused: [string, RegExp][] = [
    ['https://docker.io', /without a scheme/],
    ['docker.io/library', /only the registry host/],
    ['user@registry.lab', /no credentials/],
    ['Docker.io', /lowercase/],
    ['registry.lab:99999', /not from 1 to 65535/],
    ['registry.lab:', /expected a registry/],
    ['-bad.lab', /expected a registry/],
    ['', /expected a registry/],
    ['a..b', /expected a registry/],
  ];
  for (const [text, why] of refused) {
    it(`refuses --allow-pull ${JSON.stringify(text)}`, () => {
      const result = allowedRegistry(text);
      assert.ok('problem' in result && why.test(result.problem), JSON.stringify(result));
    });
  }
});
