import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { BerthError } from '../../../../protocol';
import { readFeatureTarball, readLocalFeature } from '../../../../client/features/local';
import { featuresContext, featuresDockerfile } from '../../../../client/features/dockerfile';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A definition folder with `files` (path → content). */
function definition(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-features-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** A tarball of `entries` (gzipped), as tar-stream writes it. */
async function tarball(entries: (Partial<tar.Header> & { name: string } & { content?: string })[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { content, ...header } of entries) pack.entry(header, content ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof BerthError, String(err));
    return err.message;
  }
  throw new Error('it was not refused');
}

const META = JSON.stringify({
  id: 'hello',
  version: '1.0.0',
  options: { greeting: { type: 'string', default: 'hi' } },
});

describe('client: local and stored feature folders (hostile input)', () => {
  it('reads a feature folder: metadata, files (links inside kept as links)', async () => {
    const dir = definition({
      'hello/devcontainer-feature.json': META,
      'hello/install.sh': '#!/bin/sh\n',
      'hello/lib/a.sh': 'x',
    });
    symlinkSync('lib/a.sh', path.join(dir, 'hello', 'a-link'));
    const { metadata, files } = await readLocalFeature(dir, './hello');
    assert.equal(metadata.id, 'hello');
    assert.deepEqual(
      files.map((f) => `${f.name}:${f.type}`),
      ['a-link:symlink', 'devcontainer-feature.json:file', 'install.sh:file', 'lib:directory', 'lib/a.sh:file'],
    );
  });

  it('refuses a path out of the definition folder, a folder that links out, a link out, and a folder without install.sh', async () => {
    const outside = definition({ 'evil/devcontainer-feature.json': META, 'evil/install.sh': '' });
    const dir = definition({
      'ok/devcontainer-feature.json': META,
      'ok/install.sh': '',
      'bare/devcontainer-feature.json': META,
    });
    assert.match(
      await refusal(readLocalFeature(dir, `../${path.basename(outside)}/evil`)),
      /lies outside the folder of devcontainer\.json/,
    );
    symlinkSync(path.join(outside, 'evil'), path.join(dir, 'linked'));
    assert.match(await refusal(readLocalFeature(dir, './linked')), /lies outside the folder/);
    symlinkSync('/etc/passwd', path.join(dir, 'ok', 'passwd'));
    assert.match(
      await refusal(readLocalFeature(dir, './ok')),
      /passwd is a link out of the feature \(to \/etc\/passwd\)/,
    );
    assert.match(await refusal(readLocalFeature(dir, './bare')), /has no install\.sh/);
    assert.match(await refusal(readLocalFeature(dir, './absent')), /there is no folder/);
  });

  it('reads a published tarball, and refuses one with "..", an absolute path, a link or too much content', async () => {
    const good = await tarball([
      { name: './', type: 'directory' },
      { name: './devcontainer-feature.json', content: META },
      { name: './install.sh', content: '#!/bin/sh\n', mode: 0o755 },
    ]);
    const read = await readFeatureTarball(good, 'ghcr.io/x/y/hello:1');
    assert.equal(read.metadata.id, 'hello');
    const base = [
      { name: 'devcontainer-feature.json', content: META },
      { name: 'install.sh', content: '' },
    ];
    for (const [extra, pattern] of [
      [{ name: '../escape', content: 'x' }, /climbs out with "\.\."/],
      [{ name: '/etc/cron.d/x', content: 'x' }, /an absolute path/],
      [{ name: 'link', type: 'symlink', linkname: '/etc/shadow' }, /a symlink; only files and folders/],
      [{ name: 'hard', type: 'link', linkname: 'install.sh' }, /a link; only files and folders/],
      [{ name: 'big', content: 'x'.repeat(17 * 1024 * 1024) }, /unpacks to more than|more than \d+ bytes of files/],
    ] as const) {
      const bytes = await tarball([...base, extra]);
      assert.match(await refusal(readFeatureTarball(bytes, 'ghcr.io/x/y/hello:1')), pattern);
    }
    assert.match(await refusal(readFeatureTarball(Buffer.from('not a tar at all'), 'r')), /its tarball is refused/);
  });

  it('writes a Dockerfile that installs each feature as root with its options and the users, containerEnv before it', async () => {
    const dir = definition({
      'hello/devcontainer-feature.json': JSON.stringify({ id: 'hello', containerEnv: { HELLO: 'say "hi"' } }),
      'hello/install.sh': '',
    });
    const folder = await readLocalFeature(dir, './hello');
    const planned = [{ key: './hello', metadata: folder.metadata, env: { GREETING: "it's" }, files: folder.files }];
    const text = featuresDockerfile('berth-workspace:latest', planned);
    assert.match(text, /^FROM berth-workspace:latest\nUSER root\n/);
    assert.match(
      text,
      /COPY features\/1-hello\/ \/tmp\/berth-features\/1-hello\/\nENV HELLO="say \\"hi\\""\nRUN cd \/tmp\/berth-features\/1-hello && .* \.\/install\.sh\n/,
    );
    const entries = featuresContext('berth-workspace:latest', planned, 'coder');
    const env = entries.find((e) => e.name === 'features/1-hello/devcontainer-features.env');
    assert.equal(env?.data?.toString(), "GREETING='it'\\''s'\n");
    const builtin = entries.find((e) => e.name === 'features/1-hello/devcontainer-features.builtin.env');
    assert.equal(
      builtin?.data?.toString(),
      "_REMOTE_USER='coder'\n_REMOTE_USER_HOME='/home/coder'\n_CONTAINER_USER='coder'\n_CONTAINER_USER_HOME='/home/coder'\n",
    );
    assert.throws(() => featuresDockerfile('x\nRUN evil', planned), /not an image reference/);
  });
});
