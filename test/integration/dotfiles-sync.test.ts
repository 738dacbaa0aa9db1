import * as assert from 'node:assert/strict';
import type { AgentClient } from '../../client/agent-client';
import { DotfilesSync, pushDotfiles } from '../../extension/dotfiles/sync';
import { watchConnection, type WatchedConnection } from '../support/host-connection';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

// Issue 15, "dotfiles … also in the extension's settings": the extension's `berth.dotfiles.repository`
// pushed to each host's agent (the agent's per-user setting stays what workspaces use) when it
// changes and when a host connects; set, it wins over the host's; empty, it leaves the host's be.
describe('extension: the dotfiles setting pushed to real agents', function () {
  this.timeout(60_000);
  const opened: WatchedConnection[] = [];
  after(() => {
    for (const watched of opened) watched.connection.dispose();
  });
  const lab = useAgent();
  const gpu = useAgent();
  let alice: { lab: AgentClient; gpu: AgentClient };
  let setting = '';
  const refusals: string[] = [];
  const logged: string[] = [];
  let hosts: WatchedConnection[];
  let sync: DotfilesSync;
  let holding = false;
  let heldFire: (() => void) | null = null;
  const held = async (client: AgentClient) => (await client.request('settings.get', {})).settings.dotfiles;
  const connected = () =>
    waitFor('both hosts connected', () => hosts.every((h) => h.connection.status.kind === 'connected'));

  before(async () => {
    alice = { lab: await lab.connect(lab.token('alice')), gpu: await gpu.connect(gpu.token('alice')) };
    hosts = [watchConnection(lab.url, lab.token('alice'), 'Lab'), watchConnection(gpu.url, gpu.token('alice'), 'Gpu')];
    opened.push(...hosts);
    sync = new DotfilesSync({
      connections: () => hosts.map((h) => h.connection),
      setting: () => setting,
      log: { info: (m) => logged.push(m), warn: (m) => logged.push(m) },
      refused: (problem) => refusals.push(problem),
      // The setting rests at once unless a test holds it (as a user mid-typing).
      debounce: (fire) => {
        if (holding) {
          heldFire = fire;
          return () => {
            if (heldFire === fire) heldFire = null;
          };
        }
        const timer = setImmediate(fire);
        return () => clearImmediate(timer);
      },
    });
    await connected();
  });

  it('leaves each host’s own setting while the VS Code setting is empty', async () => {
    await alice.lab.request('settings.set', { dotfiles: 'https://example.com/lab-own.git' });
    await sync.hostsChanged();
    assert.equal(await held(alice.lab), 'https://example.com/lab-own.git');
    assert.equal(await held(alice.gpu), undefined);
  });

  it('pushes a changed setting to every connected host; set, it wins over the host’s', async () => {
    setting = 'https://example.com/me/dotfiles.git';
    await sync.settingChanged();
    assert.equal(await held(alice.lab), setting);
    assert.equal(await held(alice.gpu), setting);
    assert.deepEqual(logged.filter((line) => line.startsWith('dotfiles on')).length, 2);
  });

  it('pushes again when a host reconnects and its agent holds something else', async () => {
    // Changed on the host meanwhile (berth config set dotfiles …), then the connection drops and comes back.
    await alice.gpu.request('settings.set', { dotfiles: 'https://example.com/changed-on-host.git' });
    await sync.hostsChanged();
    assert.equal(await held(alice.gpu), 'https://example.com/changed-on-host.git', 'no push without a reconnect');
    const gpuHost = hosts[1]!;
    const before = gpuHost.connection.status;
    gpuHost.connection.connect();
    await waitFor(
      'the Gpu host to reconnect',
      () => gpuHost.connection.status.kind === 'connected' && gpuHost.connection.status !== before,
    );
    await sync.hostsChanged();
    assert.equal(await held(alice.gpu), setting);
  });

  it('sends nothing to a host that holds the setting already, and only the user’s own', async () => {
    assert.equal(await pushDotfiles(hosts[0]!.connection, setting), 'same');
    const bob = await lab.connect(lab.token('bob'));
    assert.equal(await held(bob), undefined, 'bob’s setting on the same host is his own');
  });

  it('pushes the value the setting rests at, not each keystroke (nothing refused mid-typing)', async () => {
    const typed = 'https://example.com/me/typed.git';
    holding = true;
    const changes: Promise<void>[] = [];
    for (let end = 1; end <= typed.length; end += 1) {
      setting = typed.slice(0, end);
      changes.push(sync.settingChanged());
    }
    assert.deepEqual(refusals, [], 'no warning while typing');
    assert.ok(heldFire, 'one push waits for the setting to rest');
    holding = false;
    const before = logged.length;
    heldFire();
    await Promise.all(changes);
    assert.equal(await held(alice.lab), typed);
    assert.equal(await held(alice.gpu), typed);
    assert.deepEqual(logged.slice(before).sort(), [
      `dotfiles on Gpu set to ${typed}`,
      `dotfiles on Lab set to ${typed}`,
    ]);
  });

  it('pushes each host in turn and the current value: an older push never lands after a newer one', async () => {
    const values = ['https://example.com/a.git', 'https://example.com/b.git', 'https://example.com/c.git'];
    const changes: Promise<void>[] = [];
    for (const value of values) {
      setting = value;
      changes.push(sync.settingChanged(), sync.hostsChanged());
    }
    await Promise.all(changes);
    assert.equal(await held(alice.lab), values[2]);
    assert.equal(await held(alice.gpu), values[2]);
    // Each push sends the value in effect when it runs: an older one is never sent after a newer.
    assert.ok(!logged.some((line) => /\/(a|b)\.git$/.test(line)), 'no older value pushed');
    // The command's push, queued behind any still running, finds each host holding it.
    const older = sync.settingChanged();
    const now = await sync.pushNow();
    await older;
    assert.deepEqual(now.map((r) => [r.label, r.outcome]).sort(), [
      ['Gpu', 'same'],
      ['Lab', 'same'],
    ]);
    setting = 'https://example.com/me/dotfiles.git';
    await sync.pushNow();
  });

  it('refuses a setting that is no git URL, once, and pushes nothing', async () => {
    setting = 'ext::sh';
    await sync.settingChanged();
    await sync.hostsChanged();
    assert.equal(refusals.length, 1);
    assert.match(refusals[0] ?? '', /must be a git URL/);
    assert.equal(await held(alice.lab), 'https://example.com/me/dotfiles.git');
  });
});
