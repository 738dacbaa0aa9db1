import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { jumpHostEntry, knownHostsName, parseSpec, resolveTarget } from '../../../../client/ssh/target';
import { renderManagedConfig } from '../../../../extension/ssh-config/config-text';

describe('client ssh: SSH targets', () => {
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
