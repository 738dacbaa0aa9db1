import * as assert from 'node:assert/strict';
import {
  hasInclude,
  managedEntries,
  renderKnownHosts,
  renderManagedConfig,
  withInclude,
} from '../../../../extension/ssh-config/config-text';
import { hostEntry } from '../../../support/builders';

const MANAGED = '/home/ada/.ssh/berth/config';
const ADDED = ['# Added by Berth (VS Code): settings of your Berth workspaces.', `Include ${MANAGED}`];

/** The Host block of `alias` in a rendered config, as its lines. */
function block(config: string, alias: string): string[] {
  const lines = config.split('\n');
  const start = lines.indexOf(`Host ${alias}`);
  assert.ok(start >= 0, `a Host block for ${alias}`);
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('  '));
  return lines.slice(start, end < 0 ? undefined : end);
}

describe('ssh: the managed config text', () => {
  it('renders one Host block per workspace with every setting a strict, key-only login needs', () => {
    assert.deepEqual(block(renderManagedConfig([hostEntry('berth.lab.web', { port: 2201 })]), 'berth.lab.web'), [
      'Host berth.lab.web',
      '  HostName 127.0.0.1',
      '  Port 2201',
      '  User dev',
      '  IdentityFile /home/ada/.ssh/berth/id_ed25519',
      '  IdentitiesOnly yes',
      '  UserKnownHostsFile /home/ada/.ssh/berth/known_hosts',
      '  HostKeyAlias berth.lab.web',
      '  StrictHostKeyChecking yes',
      '  ServerAliveInterval 15',
      '  ServerAliveCountMax 4',
    ]);
  });

  it('sorts blocks by alias, so the same workspaces in any order give the same text', () => {
    const [a, b, c] = [hostEntry('berth.lab.api'), hostEntry('berth.lab.web'), hostEntry('berth.gpu.train')];
    const text = renderManagedConfig([b, c, a]);
    assert.equal(text, renderManagedConfig([a, b, c]));
    const order = text.split('\n').filter((line) => line.startsWith('Host '));
    assert.deepEqual(order, ['Host berth.gpu.train', 'Host berth.lab.api', 'Host berth.lab.web']);
  });

  it('quotes paths that hold spaces', () => {
    const spaced = hostEntry('berth.lab.web', { identityFile: '/Users/Ada Lovelace/.ssh/berth/id_ed25519' });
    const text = renderManagedConfig([{ ...spaced, knownHostsFile: '/Users/Ada Lovelace/.ssh/berth/known_hosts' }]);
    assert.ok(text.includes('  IdentityFile "/Users/Ada Lovelace/.ssh/berth/id_ed25519"\n'));
    assert.ok(text.includes('  UserKnownHostsFile "/Users/Ada Lovelace/.ssh/berth/known_hosts"\n'));
  });

  it('adds ProxyJump only to the entries that have one', () => {
    const text = renderManagedConfig([
      hostEntry('berth.a.x', { proxyJump: 'ada@gpu.example.org' }),
      hostEntry('berth.b.y'),
    ]);
    assert.ok(block(text, 'berth.a.x').includes('  ProxyJump ada@gpu.example.org'));
    assert.ok(!block(text, 'berth.b.y').some((line) => line.includes('ProxyJump')));
  });

  it('pins each host key under its alias in known_hosts, sorted', () => {
    const text = renderKnownHosts([
      hostEntry('berth.lab.web', { hostKey: 'ssh-ed25519 BBBB' }),
      hostEntry('berth.lab.api'),
    ]);
    assert.equal(text, 'berth.lab.api ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKey\nberth.lab.web ssh-ed25519 BBBB\n');
  });
});

describe('ssh: reading back the blocks of hosts a window is not connected to', () => {
  const lab = [
    hostEntry('berth.lab.a', { identityFile: '/home/a da/.ssh/berth/id_ed25519', proxyJump: 'berth.lab' }),
    hostEntry('berth.lab.b', { port: 2223, knownHostsFile: '/home/a da/.ssh/berth/known_hosts' }),
  ];
  const others = [hostEntry('berth.lab-2.a', { port: 2300 }), hostEntry('berth.gpu.c', { port: 2400 })];
  const all = [...lab, ...others];

  it('gives back exactly the entries it rendered for the hosts asked for, quoted paths and jumps included', () => {
    const read = managedEntries(renderManagedConfig(all), renderKnownHosts(all), ['berth.lab.']);
    assert.deepEqual(read, lab, '"berth.lab-2." is another host');
    assert.equal(
      renderManagedConfig([...read, ...others]),
      renderManagedConfig(all),
      'a rewrite keeps them byte for byte',
    );
  });

  it('leaves out a block without its pinned host key or with a setting missing', () => {
    const known = renderKnownHosts(all).replace(/^berth\.lab\.a .*\n/m, '');
    assert.deepEqual(managedEntries(renderManagedConfig(all), known, ['berth.lab.']), [lab[1]]);
    const edited = renderManagedConfig(all).replace(/ {2}Port 2223\n/, '');
    assert.deepEqual(managedEntries(edited, renderKnownHosts(all), ['berth.lab.']), [lab[0]]);
    assert.deepEqual(managedEntries('', '', ['berth.lab.']), []);
  });
});

describe('ssh: the Include line in the user config', () => {
  const user = '# my settings\nHost *\n  ServerAliveInterval 60\n\nHost gh\n  HostName github.com\n';

  it('adds the Include at the very top, before the first Host, and keeps the rest byte for byte', () => {
    assert.equal(withInclude(user, MANAGED), `${ADDED.join('\n')}\n\n${user}`);
  });

  it('returns null once the Include is there, so adding twice changes nothing', () => {
    assert.equal(withInclude(withInclude(user, MANAGED)!, MANAGED), null);
  });

  for (const [what, line] of [
    ['another case of the keyword', `INCLUDE ${MANAGED}`],
    ['indentation', `\t  include ${MANAGED}`],
    ['quotes', `Include "${MANAGED}"`],
    ['other files on the same line', `Include ~/.ssh/work ${MANAGED}`],
  ]) {
    it(`recognizes an existing Include written with ${what}`, () => {
      const config = `${line}\n${user}`;
      assert.ok(hasInclude(config, MANAGED));
      assert.equal(withInclude(config, MANAGED), null);
    });
  }

  it('adds ours on top of an Include of another file and leaves theirs as it was', () => {
    const config = 'Include ~/.ssh/config.d/*\n\nHost gh\n  User git\n';
    assert.ok(!hasInclude(config, MANAGED));
    assert.equal(withInclude(config, MANAGED), `${ADDED.join('\n')}\n\n${config}`);
  });

  it('keeps CRLF line ends and writes its own lines with CRLF', () => {
    const crlf = user.replace(/\n/g, '\r\n');
    assert.equal(withInclude(crlf, MANAGED), `${ADDED.join('\r\n')}\r\n\r\n${crlf}`);
  });

  it('keeps a UTF-8 byte-order mark first', () => {
    assert.equal(withInclude(`\uFEFF${user}`, MANAGED), `\uFEFF${ADDED.join('\n')}\n\n${user}`);
  });

  it('turns an empty file into just the Include', () => {
    assert.equal(withInclude('', MANAGED), `${ADDED.join('\n')}\n`);
  });

  it('keeps a last line without a trailing newline as it was', () => {
    assert.equal(withInclude('Host gh\n  User git', MANAGED), `${ADDED.join('\n')}\n\nHost gh\n  User git`);
  });
});
