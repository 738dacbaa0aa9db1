import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { UnknownHostKey } from '../../client/ssh';
import { sshHostConnection } from '../../extension/hosts/ssh-connection';
import { BerthError } from '../../protocol';
import { useRemoteHost } from '../support/remote-suite';
import { sshKeyPair } from '../support/ssh';
import { waitFor } from '../support/wait';

/**
 * The host key of a host reached over SSH (this machine's test sshd on 127.0.0.1:2222): a changed key
 * is refused without asking, a declined one is not written, and the user may take longer to decide
 * than the SSH handshake's own time limit.
 */
describe('remote: the host key of a host reached over SSH', function () {
  this.timeout(180_000);
  const host = useRemoteHost();

  before(() => {
    // The user's known_hosts for the alias `changed` holds another ed25519 key for [127.0.0.1]:2222.
    const other = sshKeyPair().publicKey.split(' ').slice(0, 2).join(' ');
    writeFileSync(host.changedKnownHosts, `[127.0.0.1]:2222 ${other}\n`);
  });

  it('refuses a changed host key without asking', async () => {
    const askedBefore = host.asked.length;
    await assert.rejects(host.remote('changed').ready(), (err: unknown) => {
      assert.ok(err instanceof BerthError);
      assert.equal(err.code, 'forbidden');
      assert.match(err.message, /^the host key of \[127\.0\.0\.1\]:2222 has changed \(ssh-ed25519 SHA256:/);
      assert.match(err.message, /ssh-keygen -R '\[127\.0\.0\.1\]:2222'/);
      return true;
    });
    assert.equal(host.asked.length, askedBefore, 'a changed key is never put to the user');
  });

  it('shows a host whose key changed as failed, without retrying', async () => {
    const connection = sshHostConnection(
      { id: 'changed', label: 'changed', url: 'ssh://changed', ssh: 'changed' },
      host.remote('changed'),
      { get: () => Promise.resolve(undefined), set: () => Promise.resolve() },
    );
    try {
      connection.connect();
      await waitFor('the refusal', () => connection.status.kind === 'error');
      const { status } = connection;
      assert.ok(status.kind === 'error');
      assert.equal(status.code, 'forbidden');
      assert.match(status.message, /^the host key of \[127\.0\.0\.1\]:2222 has changed/);
      assert.equal(status.retryAt, undefined, 'no retry is planned');
    } finally {
      connection.dispose();
    }
  });

  it('refuses a declined host key, and gives the user longer than the handshake timeout to decide', async () => {
    rmSync(host.freshKnownHosts, { force: true });
    const decline = () => Promise.resolve(false);
    await assert.rejects(host.remote('fresh', { confirmHostKey: decline }).ready(), (err: unknown) => {
      assert.ok(err instanceof BerthError);
      assert.equal(err.code, 'forbidden');
      assert.match(err.message, /^the host key of \[127\.0\.0\.1\]:2222 \(SHA256:.*\) was not accepted/);
      return true;
    });
    assert.ok(!existsSync(host.freshKnownHosts), 'a declined key is not written');
    // A user who is still reading the fingerprint when the handshake's own limit (readyTimeout, 1 s
    // here) has passed: the condition the answer waits on is that time having passed.
    const questions: UnknownHostKey[] = [];
    const slow = async (key: UnknownHostKey) => {
      questions.push(key);
      const asked = Date.now();
      await waitFor('the handshake timeout to pass while the user reads', () => Date.now() - asked > 1_500, 5_000);
      return true;
    };
    const { agent } = await host.remote('fresh', { confirmHostKey: slow, readyTimeoutMs: 1_000 }).ready();
    assert.equal(agent.port, host.options.bundle.port);
    assert.equal(questions.length, 1, 'asked once');
    assert.match(readFileSync(host.freshKnownHosts, 'utf8'), /^\[127\.0\.0\.1\]:2222 ssh-ed25519 /);
  });
});
