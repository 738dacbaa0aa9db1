import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  addKnownHost,
  checkHostKey,
  fingerprint,
  keyType,
  preferredHostKeyAlgorithms,
} from '../../../../client/ssh/known-hosts';
import { jumpHostEntry, knownHostsName, parseSpec, resolveTarget } from '../../../../client/ssh/target';
import { renderManagedConfig } from '../../../../extension/ssh-config/config-text';

/** A fresh ed25519 public key as `type base64` and its blob, made by the stock ssh-keygen. */
function hostKey(dir: string, name: string): { line: string; blob: Buffer } {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  const [type = '', data = ''] = readFileSync(`${file}.pub`, 'utf8').split(' ');
  return { line: `${type} ${data}`, blob: Buffer.from(data, 'base64') };
}

describe('remote: known_hosts', () => {
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

describe('remote: SSH targets', () => {
  let dir: string;
  let configFile: string;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-target-unit-'));
    configFile = path.join(dir, 'config');
    writeFileSync(
      configFile,
      [
        'Host gpu',
        '  HostName gpu1.example.org',
        '  User alice',
        '  Port 2200',
        '  IdentityFile ~/.ssh/id_lab',
        '  ProxyJump bastion',
        'Host bastion',
        '  HostName bastion.example.org',
        'Host *',
        '  User fallback',
        '  IdentityFile ~/.ssh/id_%h',
        '',
      ].join('\n'),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parses user@host[:port], IPv6 in brackets, and refuses the rest', () => {
    assert.deepEqual(parseSpec('alice@gpu1:2222'), { user: 'alice', host: 'gpu1', port: 2222 });
    assert.deepEqual(parseSpec('gpu1'), { host: 'gpu1' });
    assert.deepEqual(parseSpec('bob@[::1]:22'), { user: 'bob', host: '::1', port: 22 });
    assert.equal(parseSpec('a@b@c'), null);
    assert.equal(parseSpec('gpu1:99999'), null);
  });

  it("applies the user's SSH config to an alias, first value winning as in ssh", () => {
    const target = resolveTarget('gpu', { configFile, home: '/home/ada', localUser: 'ada' });
    assert.equal(target.hostName, 'gpu1.example.org');
    assert.equal(target.user, 'alice');
    assert.equal(target.port, 2200);
    assert.deepEqual(target.proxyJump, ['bastion']);
    assert.ok(target.identityFiles.includes('/home/ada/.ssh/id_lab'));
    assert.deepEqual(target.knownHostsFiles, ['/home/ada/.ssh/known_hosts']);
    assert.equal(knownHostsName(target), '[gpu1.example.org]:2200');
  });

  it('follows Include lines, relative to ~/.ssh and with globs, as ssh does', () => {
    const home = path.join(dir, 'home');
    mkdirSync(path.join(home, '.ssh', 'config.d'), { recursive: true });
    const main = path.join(home, '.ssh', 'config');
    writeFileSync(main, 'Include config.d/*.conf "~/.ssh/more config"\nHost *\n  User fallback\n');
    writeFileSync(
      path.join(home, '.ssh', 'config.d', 'lab.conf'),
      'Host lab\n  HostName lab.example.org\n  Port 2202\n',
    );
    writeFileSync(path.join(home, '.ssh', 'config.d', 'lab.conf.off'), 'Host lab\n  Port 1\n');
    writeFileSync(path.join(home, '.ssh', 'more config'), 'Host lab\n  User carol\n');
    const target = resolveTarget('lab', { configFile: main, home, localUser: 'ada' });
    assert.deepEqual([target.hostName, target.port, target.user], ['lab.example.org', 2202, 'carol']);
  });

  it('lets user@ and :port in the spec win over the config', () => {
    const target = resolveTarget('bob@gpu:22', { configFile, home: '/home/ada', localUser: 'ada' });
    assert.equal(target.user, 'bob');
    assert.equal(target.port, 22);
    assert.equal(knownHostsName(target), 'gpu1.example.org');
  });

  it('writes a jump block that stock ssh reads back, with the workspaces jumping through it', () => {
    const target = resolveTarget('gpu', { configFile, home: '/home/ada', localUser: 'ada' });
    const managed = path.join(dir, 'managed');
    const workspace = {
      alias: 'berth.gpu.web',
      hostName: '127.0.0.1',
      port: 2201,
      user: 'dev',
      identityFile: '/home/ada/.ssh/berth/id_ed25519',
      knownHostsFile: '/home/ada/.ssh/berth/known_hosts',
      hostKey: 'ssh-ed25519 AAAA',
      proxyJump: 'berth.gpu',
    };
    writeFileSync(managed, renderManagedConfig([workspace], [jumpHostEntry('berth.gpu', target)]));
    const jump = execFileSync('ssh', ['-G', '-F', managed, 'berth.gpu'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    assert.match(jump, /^hostname gpu1\.example\.org$/m);
    assert.match(jump, /^user alice$/m);
    assert.match(jump, /^port 2200$/m);
    assert.match(jump, /^proxyjump bastion$/m);
    assert.match(jump, /^stricthostkeychecking true$/m);
    const ws = execFileSync('ssh', ['-G', '-F', managed, 'berth.gpu.web'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    assert.match(ws, /^proxyjump berth\.gpu$/m);
    assert.match(ws, /^hostname 127\.0\.0\.1$/m);
  });
});
