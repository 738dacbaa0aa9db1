import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { keyAdvice } from '../../../../cli/commands/ssh';

describe('cli: berth ssh advice on a refused key', () => {
  let home: string;
  const saved = process.env.HOME;

  beforeEach(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-ssh-advice-'));
    process.env.HOME = home;
  });

  afterEach(async () => {
    process.env.HOME = saved;
    await fs.rm(home, { recursive: true, force: true });
  });

  it('names the first default key ssh offers, and how to register it', async () => {
    await fs.mkdir(path.join(home, '.ssh'));
    await fs.writeFile(path.join(home, '.ssh', 'id_rsa.pub'), 'ssh-rsa AAAA x\n');
    await fs.writeFile(path.join(home, '.ssh', 'id_ed25519.pub'), 'ssh-ed25519 AAAA x\n');
    assert.equal(
      await keyAdvice('web', undefined, 'lab'),
      `berth ssh: workspace "web" refused your SSH key; register it with: berth key add --host lab ${home}/.ssh/id_ed25519.pub (berth key ls --host lab shows the keys it accepts)`,
    );
  });

  it('says how to make a key when there is none', async () => {
    assert.match(
      await keyAdvice('web', undefined),
      /make a public key \(ssh-keygen -t ed25519\), then register it: berth key add ~\/\.ssh\/id_ed25519\.pub$/,
    );
    assert.match(
      await keyAdvice('web', '/k/id'),
      /\(ssh-keygen -y -f \/k\/id > \/k\/id\.pub\), then register it: berth key add \/k\/id\.pub$/,
    );
  });
});
