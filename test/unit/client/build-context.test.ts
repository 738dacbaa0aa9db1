import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import * as tar from 'tar-stream';
import { BuildDefinition } from '../../../protocol';
import { packContext, scanContext } from '../../../client/build-context';

const definition = BuildDefinition.parse({});

/** A fresh folder with `files` (path → content) in it. */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-ctx-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** The names and sizes of the tar's entries, as an extractor reads them. */
async function unpack(dir: string): Promise<{ names: string[]; headers: tar.Header[]; bytes: number }> {
  const context = await scanContext(dir, definition);
  const extract = tar.extract();
  const headers: tar.Header[] = [];
  let bytes = 0;
  const pack = packContext(context);
  pack.on('data', (chunk) => (bytes += (chunk as Buffer).length));
  pack.pipe(extract);
  for await (const entry of extract) {
    headers.push(entry.header);
    entry.resume();
  }
  return { names: headers.map((h) => h.name.replace(/\/$/, '')).sort(), headers, bytes };
}

describe('client: build contexts', () => {
  const made: string[] = [];
  afterEach(() => made.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const make = (files: Record<string, string>) => {
    const dir = folder(files);
    made.push(dir);
    return dir;
  };

  it('honours .dockerignore with Docker’s semantics, and always sends the Dockerfile and .dockerignore', async () => {
    const dir = make({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': '# comment\nDockerfile\n.dockerignore\nsecret.txt\nbuild/\n!build/keep.txt\n*.log\n',
      'secret.txt': 'x',
      'build/drop.txt': 'x',
      'build/keep.txt': 'x',
      'top.log': 'x',
      'sub/deep.log': 'x',
      'src/main.c': 'int main;',
    });
    const { names } = await unpack(dir);
    assert.deepEqual(names, [
      '.dockerignore',
      'Dockerfile',
      'build/keep.txt',
      'src',
      'src/main.c',
      'sub',
      'sub/deep.log',
    ]);
  });

  it('keeps symlinks as links, never following them out of the context', async () => {
    const dir = make({ Dockerfile: 'FROM scratch\n' });
    symlinkSync('/etc/passwd', path.join(dir, 'passwd'));
    const { headers } = await unpack(dir);
    const link = headers.find((h) => h.name === 'passwd');
    assert.equal(link?.type, 'symlink');
    assert.equal(link?.linkname, '/etc/passwd');
    assert.equal(link?.size ?? 0, 0);
  });

  it('refuses a socket with its name and what to do', async () => {
    const dir = make({ Dockerfile: 'FROM scratch\n' });
    const server = net.createServer().listen(path.join(dir, 'agent.sock'));
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      await assert.rejects(
        scanContext(dir, definition),
        /agent\.sock is not a file, folder or symlink.*\.dockerignore/,
      );
    } finally {
      server.close();
    }
  });

  it('says when there is no Dockerfile, naming the flag', async () => {
    const dir = make({ 'x.txt': '' });
    await assert.rejects(scanContext(dir, definition), /no Dockerfile Dockerfile in .*--dockerfile/);
  });

  it('declares exactly the size of the tar it sends', async () => {
    const dir = make({
      Dockerfile: 'FROM scratch\n',
      'a/b/c.bin': 'y'.repeat(70_000),
      [`${'n'.repeat(120)}.txt`]: 'z',
    });
    const { bytes } = await unpack(dir);
    assert.equal(bytes, (await scanContext(dir, definition)).size);
  });

  describe('hash', () => {
    it('is the same for the same paths, modes and contents, whatever the times', async () => {
      const a = make({ Dockerfile: 'FROM scratch\n', 'x/y': '1' });
      const b = make({ Dockerfile: 'FROM scratch\n', 'x/y': '1' });
      utimesSync(path.join(b, 'x/y'), new Date(0), new Date(0));
      assert.equal((await scanContext(a, definition)).hash, (await scanContext(b, definition)).hash);
    });

    it('changes with a content, a path, a mode, a link target, an argument or the target', async () => {
      const base = { Dockerfile: 'FROM scratch\n', 'x/y': '1' };
      const hashOf = async (dir: string, def = definition) => (await scanContext(dir, def)).hash;
      const reference = await hashOf(make(base));
      const content = await hashOf(make({ ...base, 'x/y': '2' }));
      const moved = await hashOf(make({ Dockerfile: base.Dockerfile, 'x/z': '1' }));
      const modeDir = make(base);
      chmodSync(path.join(modeDir, 'x/y'), 0o755);
      const linked = make(base);
      symlinkSync('a', path.join(linked, 'l'));
      const relinked = make(base);
      symlinkSync('b', path.join(relinked, 'l'));
      const dir = make(base);
      const all = [
        reference,
        content,
        moved,
        await hashOf(modeDir),
        await hashOf(linked),
        await hashOf(relinked),
        await hashOf(dir, BuildDefinition.parse({ args: { A: '1' } })),
        await hashOf(dir, BuildDefinition.parse({ target: 'dev' })),
      ];
      assert.equal(new Set(all).size, all.length, `hashes repeat: ${all.join(' ')}`);
    });

    it('ignores what .dockerignore leaves out', async () => {
      const a = make({ Dockerfile: 'FROM scratch\n', '.dockerignore': 'cache\n', cache: 'one' });
      const b = make({ Dockerfile: 'FROM scratch\n', '.dockerignore': 'cache\n', cache: 'two' });
      assert.equal((await scanContext(a, definition)).hash, (await scanContext(b, definition)).hash);
    });
  });

  it('makes a tar that GNU tar lists', async () => {
    const dir = make({ Dockerfile: 'FROM scratch\n', 'a/b.txt': 'hello' });
    const out = path.join(dir, '..', `${path.basename(dir)}.tar`);
    made.push(out);
    const chunks: Buffer[] = [];
    for await (const chunk of packContext(await scanContext(dir, definition))) chunks.push(chunk as Buffer);
    writeFileSync(out, Buffer.concat(chunks));
    const listed = execFileSync('tar', ['tf', out], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    assert.deepEqual(listed, ['Dockerfile', 'a', 'a/b.txt']);
  });
});
