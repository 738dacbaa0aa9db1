import * as assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { AgentClient } from '../../client/agent-client';
import { streamRequest } from '../../client/stream';
import { Users } from '../../agent/users';
import type { Workspace } from '../../protocol';
import { freePort } from '../support/agent-process';
import { docker } from '../support/docker';
import { watchConnection, type WatchedConnection } from '../support/host-connection';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

describe('extension: a host connection to a real agent', function () {
  this.timeout(120_000);
  const opened: WatchedConnection[] = [];
  // Registered before the agent's hooks, so the connections end before the agent does.
  after(() => {
    for (const watched of opened) watched.connection.dispose();
  });
  const agent = useAgent();
  let token: string;
  /** Another client of the same user: the CLI, a colleague's VS Code, a script. */
  let other: AgentClient;
  /** The connection under test, open from the start. */
  let lab: WatchedConnection;
  let base: Workspace;
  const watch = (url: string, secret: string | undefined) => {
    const watched = watchConnection(url, secret);
    opened.push(watched);
    return watched;
  };
  const connected = (watched: WatchedConnection) =>
    waitFor('the connection to be connected', () => watched.connection.status.kind === 'connected');
  const stateOf = (id: string) => lab.connection.workspaces.get(id)?.state;

  before(async () => {
    token = agent.token('alice');
    other = await agent.connect(token);
    ({ workspace: base } = await other.request('workspace.create', { name: 'base', memory: 256 * 1024 ** 2 }));
    lab = watch(agent.url, token);
  });

  it('connects and lists the workspaces the agent already has', async () => {
    await connected(lab);
    assert.equal(lab.connection.status.kind === 'connected' && lab.connection.status.welcome.user.name, 'alice');
    assert.deepEqual([...lab.connection.workspaces.values()], [base]);
    assert.equal(lab.attempts(), 1);
  });

  it('shows a workspace another client creates, up to running, from events alone', async () => {
    const { workspace } = await other.request('workspace.create', { name: 'web', memory: 256 * 1024 ** 2 });
    await waitFor('web to run in the connection', () => lab.seen.get(workspace.id)?.get('running'));
    assert.ok(lab.seen.get(workspace.id)?.has('creating'), 'it appeared while still being created');
    assert.deepEqual(lab.connection.workspaces.get(workspace.id), workspace);
    assert.equal(lab.attempts(), 1, 'no reconnect, hence no new list');
  });

  it('shows a stop made elsewhere as stopped', async () => {
    const { workspace } = await other.request('workspace.stop', { name: 'web' });
    await waitFor('web to be stopped in the connection', () => stateOf(workspace.id) === 'stopped');
    assert.equal(lab.attempts(), 1, 'from an event: the connection lists only when it connects');
    assert.deepEqual(lab.connection.workspaces.get(workspace.id), workspace);
  });

  it('drops a workspace deleted elsewhere', async () => {
    const { workspace } = await other.request('workspace.get', { name: 'web' });
    await other.request('workspace.delete', { name: 'web', deleteData: true });
    await waitFor('web to leave the connection', () => !lab.connection.workspaces.has(workspace.id));
    assert.equal(lab.attempts(), 1, 'from an event: the connection lists only when it connects');
    assert.deepEqual([...lab.connection.workspaces.keys()], [base.id]);
  });

  it("hands a stream's bytes to its request alone: its listeners (tree, status bar) hear no exec events", async () => {
    const heard: string[] = [];
    const stop = lab.connection.onDidChange((event) => event && heard.push(event.event));
    let bytes = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback();
      },
    });
    try {
      const io = { stdout: sink, stderr: sink, stdin: null };
      await streamRequest(lab.connection.liveClient(), 'workspace.backup', { name: 'base', live: true }, io);
    } finally {
      stop();
    }
    assert.ok(bytes > 0, 'the backup came through');
    assert.deepEqual(
      heard.filter((event) => event.startsWith('workspace.exec')),
      [],
    );
  });

  it('stops at unauthorized for a wrong token, and does not retry it', async () => {
    const refused = watch(agent.url, 'not-a-token');
    await waitFor('the token to be refused', () => refused.connection.status.kind === 'error');
    const status = refused.connection.status;
    assert.equal(status.kind === 'error' && status.code, 'unauthorized');
    assert.equal(status.kind === 'error' && status.retryAt, undefined);
    // A host that cannot be reached retries after its first delay; once it has, the refused one would have too.
    const unreachable = watch(`ws://127.0.0.1:${await freePort()}`, token);
    await waitFor('the unreachable host to retry', () => unreachable.attempts() >= 2);
    assert.equal(refused.attempts(), 1);
    assert.equal(refused.connection.status, status, 'the status stays as it was');
    assert.deepEqual(
      refused.statuses.map((s) => s.kind),
      ['connecting', 'error'],
    );
  });

  it('stops at unauthorized with the reason when its token is revoked, and does not reconnect', async () => {
    const watched = watch(agent.url, agent.token('zed'));
    await connected(watched);
    await Users.in(agent.stateDir).revokeTokens({ user: 'zed' });
    const status = await waitFor('the revocation to reach the connection', () =>
      watched.connection.status.kind === 'error' ? watched.connection.status : null,
    );
    assert.equal(status.code, 'unauthorized');
    assert.match(status.message, /token revoked; ask the host's operator for a new one/);
    assert.equal(status.retryAt, undefined, 'no retry is planned');
    assert.equal(watched.attempts(), 1);
  });

  it('reconnects a connected host on request straight back to connected, with no error in between', async () => {
    const watched = watch(agent.url, token);
    await connected(watched);
    watched.connection.connect();
    await waitFor('a second connection', () => watched.clients.length === 2);
    await connected(watched);
    assert.deepEqual(
      watched.statuses.map((s) => s.kind),
      ['connecting', 'connected', 'connecting', 'connected'],
    );
    await waitFor('the replaced client to close', () => watched.clients[0]?.closed);
  });

  it('keeps one live client when asked to connect again while still connecting', async () => {
    const watched = watch(agent.url, token);
    watched.connection.connect();
    await waitFor('both attempts to connect', () => watched.clients.length === 2);
    await connected(watched);
    await waitFor('only one client to stay open', () => watched.clients.filter((c) => !c.closed).length === 1);
  });

  it('turns to error with a retry time when the agent dies', async () => {
    await connected(lab);
    const diedAt = Date.now();
    await agent.kill9();
    const status = await waitFor('the connection to fail', () =>
      lab.connection.status.kind === 'error' ? lab.connection.status : null,
    );
    assert.match(status.message, /connection lost/);
    assert.ok(status.retryAt && status.retryAt > diedAt, `a retry is planned after the loss (${status.retryAt})`);
  });

  it('reconnects by itself once the agent is back, with the list current again', async () => {
    const attempts = lab.attempts();
    // A change while the connection is down: the container stops outside Berth.
    docker('kill', `berth-${base.id}`);
    await agent.restart();
    await connected(lab);
    assert.ok(lab.attempts() > attempts, 'it connected again on its own');
    assert.equal(stateOf(base.id), 'stopped');
    assert.match(lab.connection.workspaces.get(base.id)?.message ?? '', /outside Berth/);

    other = await agent.connect(token);
    await other.request('workspace.delete', { name: 'base', deleteData: true });
    await waitFor('base to leave the connection', () => !lab.connection.workspaces.has(base.id));
  });
});
