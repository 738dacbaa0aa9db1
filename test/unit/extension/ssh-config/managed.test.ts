import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hasInclude, renderKnownHosts } from '../../../../extension/ssh-config/config-text';
import { ManagedSsh } from '../../../../extension/ssh-config/managed';
import { hostEntry } from '../../../support/builders';

describe('ssh: the managed files on disk', function () {
  this.timeout(30_000);
  let home: string;
  let ssh: ManagedSsh;
  const userConfig = () => path.join(home, '.ssh', 'config');
  const mode = async (file: string) => (await fs.stat(file)).mode & 0o777;

  beforeEach(async () => {
    // A space in HOME makes every path in the managed config need quoting.
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'berth home '));
    await fs.mkdir(path.join(home, '.ssh'), { mode: 0o700 });
    ssh = new ManagedSsh(home);
  });

  afterEach(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });

  it('adds one Include line however often it is asked, and leaves the rest of ~/.ssh/config identical', async () => {
    const original = '# keep me\r\nHost gh\r\n  User git\r\n';
    await fs.writeFile(userConfig(), original);
    await ssh.addInclude();
    const once = await fs.readFile(userConfig(), 'utf8');
    await ssh.addInclude();
    const text = await fs.readFile(userConfig(), 'utf8');
    assert.equal(text, once);
    assert.equal(text.match(/^Include /gm)?.length, 1);
    assert.ok(text.endsWith(`\r\n${original}`));
    assert.ok(await ssh.included());
  });

  it('reads back from disk the blocks of the hosts asked for', async () => {
    const entries = [hostEntry('berth.lab.a'), hostEntry('berth.gpu.b', { port: 2400 })];
    await ssh.write(entries);
    assert.deepEqual(await ssh.entries(['berth.gpu.']), [entries[1]]);
    assert.deepEqual(await ssh.entries([]), []);
  });

  it("keeps the config's mode, and makes a new one 0600", async () => {
    await fs.writeFile(userConfig(), 'Host gh\n');
    await fs.chmod(userConfig(), 0o644);
    await ssh.addInclude();
    assert.equal(await mode(userConfig()), 0o644);
    await fs.rm(userConfig());
    await ssh.addInclude();
    assert.equal(await mode(userConfig()), 0o600);
  });

  it('writes through a symlinked ~/.ssh/config: the link stays a link and its target gets the line', async () => {
    const target = path.join(home, 'dotfiles', 'ssh_config');
    await fs.mkdir(path.dirname(target));
    await fs.writeFile(target, 'Host gh\n');
    await fs.symlink(target, userConfig());
    await ssh.addInclude();
    assert.ok((await fs.lstat(userConfig())).isSymbolicLink());
    assert.ok(hasInclude(await fs.readFile(target, 'utf8'), ssh.configFile));
  });

  it('makes an ed25519 key pair, private key 0600, from which ssh-keygen derives the same public key', async () => {
    const publicKey = await ssh.ensureKey();
    assert.match(publicKey, /^ssh-ed25519 AAAA\S+/);
    assert.equal(await mode(ssh.keyFile), 0o600);
    const derived = execFileSync('ssh-keygen', ['-y', '-f', ssh.keyFile], { encoding: 'utf8' });
    assert.equal(derived.split(' ').slice(0, 2).join(' '), publicKey.split(' ').slice(0, 2).join(' '));
  });

  it('makes the key once: a second call keeps the pair and returns the same public key line', async () => {
    const first = await ssh.ensureKey();
    const privateKey = await fs.readFile(ssh.keyFile, 'utf8');
    const second = await ssh.ensureKey();
    assert.equal(await fs.readFile(ssh.keyFile, 'utf8'), privateKey);
    assert.equal(second, first);
  });

  it('writes a config the stock ssh client resolves as intended, directly and through the Include', async () => {
    const files = { identityFile: ssh.keyFile, knownHostsFile: ssh.knownHostsFile };
    const entries = [hostEntry('berth.lab.web', { port: 2201, ...files }), hostEntry('berth.lab.api', files)];
    await ssh.write(entries);
    await fs.writeFile(userConfig(), 'Host *\n  User nobody\n');
    await ssh.addInclude();
    for (const config of [ssh.configFile, userConfig()]) {
      const args = ['-G', '-F', config, 'berth.lab.web'];
      const resolved = execFileSync('ssh', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n');
      for (const line of ['hostname 127.0.0.1', 'port 2201', 'user dev', `identityfile ${ssh.keyFile}`]) {
        assert.ok(resolved.includes(line), `${config}: ${line}`);
      }
      assert.ok(resolved.includes(`userknownhostsfile ${ssh.knownHostsFile}`));
      assert.ok(resolved.includes('stricthostkeychecking true'));
    }
    assert.equal(await fs.readFile(ssh.knownHostsFile, 'utf8'), renderKnownHosts(entries));
  });
});
