import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  addKnownHost,
  checkHostKey,
  fingerprint,
  keyType,
  preferredHostKeyAlgorithms,
} from '../../../../client/ssh/known-hosts';

/** A fresh ed25519 public key as `type base64` and its blob, made by the stock ssh-keygen. */
function hostKey(dir: string, name: string): { line: string; blob: Buffer } {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  const [type = '', data = ''] = readFileSync(`${file}.pub`, 'utf8').split(' ');
  return { line: `${type} ${data}`, blob: Buffer.from(data, 'base64') };
}

describe('client ssh: known_hosts', () => {
  let dir: string;
  let key: { line: string; blob: Buffer };
  let other: { line: string; blob: Buffer };
  const file = () => path.join(dir, 'known_hosts');

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-kh-unit-'));
    key = hostKey(dir, 'a');
    other = hostKey(dir, 'b');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the key type and the SHA256 fingerprint as ssh-keygen shows them', () => {
    assert.equal(keyType(key.blob), 'ssh-ed25519');
    const shown = execFileSync('ssh-keygen', ['-l', '-f', path.join(dir, 'a.pub')], { encoding: 'utf8' });
    assert.ok(shown.includes(fingerprint(key.blob)), shown);
  });

  it('finds a key under `host` on port 22 and under `[host]:port` on others', () => {
    writeFileSync(file(), `gpu1.lab ${key.line}\n[gpu2.lab]:2222 ${key.line}\n`);
    assert.deepEqual(checkHostKey([file()], 'gpu1.lab', key.blob), { kind: 'known' });
    assert.deepEqual(checkHostKey([file()], '[gpu2.lab]:2222', key.blob), { kind: 'known' });
    assert.deepEqual(checkHostKey([file()], 'gpu2.lab', key.blob), { kind: 'unknown' });
  });

  it('matches entries hashed by ssh-keygen -H', () => {
    writeFileSync(file(), `gpu1.lab ${key.line}\n[gpu2.lab]:2222 ${key.line}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file()], { stdio: 'ignore' });
    const text = readFileSync(file(), 'utf8');
    assert.ok(!text.includes('gpu1.lab') && text.startsWith('|1|'), 'the file is hashed');
    assert.deepEqual(checkHostKey([file()], 'gpu1.lab', key.blob), { kind: 'known' });
    assert.deepEqual(checkHostKey([file()], '[gpu2.lab]:2222', key.blob), { kind: 'known' });
    assert.equal(checkHostKey([file()], '[gpu2.lab]:2222', other.blob).kind, 'changed');
  });

  it('calls another key of the same type a change, naming the file and line', () => {
    writeFileSync(file(), `# comment\nelsewhere ${other.line}\ngpu1.lab ${other.line}\n`);
    assert.deepEqual(checkHostKey([file()], 'gpu1.lab', key.blob), { kind: 'changed', file: file(), line: 3 });
  });

  it('honours patterns, negations, @revoked and skips @cert-authority lines', () => {
    writeFileSync(file(), `*.lab,!evil.lab ${key.line}\n@cert-authority gpu9.test ${other.line}\n`);
    assert.deepEqual(checkHostKey([file()], 'gpu7.lab', key.blob), { kind: 'known' });
    assert.deepEqual(checkHostKey([file()], 'evil.lab', key.blob), { kind: 'unknown' });
    assert.deepEqual(checkHostKey([file()], 'gpu9.test', other.blob), { kind: 'unknown' });
    writeFileSync(file(), `gpu1.lab ${key.line}\n@revoked * ${key.line}\n`);
    assert.equal(checkHostKey([file()], 'gpu1.lab', key.blob).kind, 'changed');
  });

  it('asks a host first for the key types already known for it, RSA by its SHA-2 signatures', () => {
    const rsa = `ssh-rsa ${Buffer.from('rsa').toString('base64')}`;
    writeFileSync(file(), `gpu1.lab ${rsa}\n@revoked gpu1.lab ${key.line}\n[gpu2.lab]:2222 ${key.line}\n`);
    assert.deepEqual(preferredHostKeyAlgorithms([file()], 'gpu1.lab'), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    assert.deepEqual(preferredHostKeyAlgorithms([file()], '[gpu2.lab]:2222'), ['ssh-ed25519']);
    assert.deepEqual(preferredHostKeyAlgorithms([file()], 'gpu3.lab'), []);
  });

  it('adds an accepted key in the form ssh reads back', () => {
    const added = path.join(dir, 'new', 'known_hosts');
    addKnownHost(added, '[gpu3.lab]:2222', key.blob);
    assert.deepEqual(checkHostKey([added], '[gpu3.lab]:2222', key.blob), { kind: 'known' });
    const found = execFileSync('ssh-keygen', ['-F', '[gpu3.lab]:2222', '-f', added], { encoding: 'utf8' });
    assert.ok(found.includes(key.line));
  });
});
