import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BuildDefinition } from '../../../protocol';
import { scanContext } from '../../../client/build-context';
import { DigestCache } from '../../../client/context-digests';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const stat = (file: string) => lstatSync(file, { bigint: true });
/** A time well after `file` last changed: a digest read then is settled. */
const later = (file: string) => stat(file).ctimeNs + 10_000_000_000n;

describe('client: the digest cache of build contexts', () => {
  let dir: string;
  let cacheFile: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-digests-'));
    cacheFile = path.join(dir, 'cache', 'context-digests.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers for a file whose stat is unchanged, across processes (the file), and not once it changed', async () => {
    const file = path.join(dir, 'a.bin');
    writeFileSync(file, 'one');
    const first = await DigestCache.open(cacheFile);
    first.remember(file, stat(file), sha('one'), later(file));
    await first.save();
    assert.equal(statSync(cacheFile).mode & 0o777, 0o600);

    assert.equal((await DigestCache.open(cacheFile)).lookup(file, stat(file)), sha('one'));
    writeFileSync(file, 'two');
    assert.equal((await DigestCache.open(cacheFile)).lookup(file, stat(file)), null);
  });

  it('keeps no digest of a file that changed less than two seconds before it was read (it could change unseen)', async () => {
    const file = path.join(dir, 'a.bin');
    writeFileSync(file, 'one');
    const cache = await DigestCache.open(cacheFile);
    cache.remember(file, stat(file), sha('one'), stat(file).ctimeNs + 1_000_000_000n);
    await cache.save();
    assert.equal((await DigestCache.open(cacheFile)).lookup(file, stat(file)), null);
  });

  it('save writes nothing when nothing changed (every file known), and writes again once one did', async () => {
    const file = path.join(dir, 'a.bin');
    writeFileSync(file, 'one');
    const first = await DigestCache.open(cacheFile);
    first.remember(file, stat(file), sha('one'), later(file));
    await first.save();
    const written = stat(cacheFile);

    const known = await DigestCache.open(cacheFile);
    assert.equal(known.lookup(file, stat(file)), sha('one'));
    known.remember(file, stat(file), sha('one'), later(file)); // the same digest again: nothing new
    await known.save();
    const after = stat(cacheFile);
    assert.deepEqual([after.ino, after.mtimeNs, after.ctimeNs], [written.ino, written.mtimeNs, written.ctimeNs]);

    // The check above can see a write: a changed file is forgotten, and the cache file replaced.
    writeFileSync(file, 'two');
    const changed = await DigestCache.open(cacheFile);
    assert.equal(changed.lookup(file, stat(file)), null);
    await changed.save();
    assert.notEqual(stat(cacheFile).ino, written.ino, 'the cache file was not written again');
    assert.equal((await DigestCache.open(cacheFile)).lookup(file, stat(file)), null);
  });

  it('is an empty cache when its file is not JSON, or not its shape, and writes a good one back', async () => {
    const file = path.join(dir, 'a.bin');
    writeFileSync(file, 'one');
    for (const text of ['{not json', JSON.stringify({ version: 1, files: { [file]: { digest: 'x' } } }), '[]']) {
      writeFileSync(path.join(dir, 'bad.json'), text);
      const cache = await DigestCache.open(path.join(dir, 'bad.json'));
      assert.equal(cache.lookup(file, stat(file)), null);
      cache.remember(file, stat(file), sha('one'), later(file));
      await cache.save();
      assert.equal((await DigestCache.open(path.join(dir, 'bad.json'))).lookup(file, stat(file)), sha('one'));
    }
  });

  it('keeps at most its bound, the files of the latest scan first', async () => {
    const files = ['a', 'b', 'c'].map((name) => path.join(dir, name));
    for (const file of files) writeFileSync(file, file);
    const old = await DigestCache.open(cacheFile, 2);
    for (const file of files.slice(0, 2)) old.remember(file, stat(file), sha(file), later(file));
    await old.save();
    const next = await DigestCache.open(cacheFile, 2);
    next.remember(files[2]!, stat(files[2]!), sha(files[2]!), later(files[2]!));
    await next.save();
    const kept = Object.keys((JSON.parse(readFileSync(cacheFile, 'utf8')) as { files: object }).files);
    assert.equal(kept.length, 2);
    assert.ok(kept.includes(files[2]!), 'the latest scan’s file is kept');
  });

  it('makes scanContext take an unchanged file’s digest from it instead of reading the file', async () => {
    const context = path.join(dir, 'ctx');
    mkdirSync(context);
    writeFileSync(path.join(context, 'Dockerfile'), 'FROM scratch\n');
    const big = path.join(context, 'big.bin');
    writeFileSync(big, 'content');
    const definition = BuildDefinition.parse({});
    const plain = await scanContext(context, definition);
    // A digest the file does not have: only a scan that trusted the cache can report it.
    const planted = await DigestCache.open(cacheFile);
    planted.remember(big, stat(big), sha('planted'), later(big));
    await planted.save();
    const cached = await scanContext(context, definition, await DigestCache.open(cacheFile));
    assert.equal(cached.entries.find((e) => e.name === 'big.bin')?.digest, sha('planted'));
    assert.notEqual(cached.hash, plain.hash);

    writeFileSync(big, 'changed');
    const changed = await scanContext(context, definition, await DigestCache.open(cacheFile));
    assert.equal(changed.entries.find((e) => e.name === 'big.bin')?.digest, sha('changed'));
  });
});
