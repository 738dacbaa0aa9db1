import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { AgentClient, ClientEvent } from '../../client/agent-client';
import type { StopReason, Workspace } from '../../protocol';
import { sshKeyPair, strictSshArgs } from '../support/ssh';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

/**
 * Typing as presence (issue #16), on real containers and real `ssh -tt` sessions. Seconds-long idle
 * settings: 15 s idle timeout (the kernel keeps a terminal's access time to 8 s, so typing is seen at
 * most that often), warning 3 s ahead, 24 s attached grace, 1 s samples.
 */
const IDLE = 15;
const GRACE = 24;
const IDLE_ARGS = ['--idle-timeout', `${IDLE}s`, '--idle-warn-before', '3s', '--attached-grace', `${GRACE}s`];
/** Typing is paced by waitFor's poll interval: a keystroke line every 2 s. */
const TYPE_EVERY_MS = 2000;

/** An interactive login over `ssh -tt` (a shell waiting on its terminal); `command` runs instead when given. */
function session(workspace: Workspace, privateKey: string, command?: string): ChildProcess {
  const args = ['-tt', ...strictSshArgs(workspace, privateKey), ...(command ? [command] : [])];
  return spawn('ssh', args, { stdio: ['pipe', 'ignore', 'ignore'] });
}

/** Types a harmless command line into a session, as a person would. */
function type(shell: ChildProcess): void {
  shell.stdin?.write('true\n');
}

describe('agent: typing in a terminal is presence (real containers, ssh -tt)', function () {
  this.timeout(150_000);
  const sessions: ChildProcess[] = [];
  after(() => {
    for (const s of sessions) s.kill();
  });
  const agent = useAgent({ args: [...IDLE_ARGS, '--idle-interval', '1s'] });
  let client: AgentClient;
  const stops = new Map<string, { seen: number; reason: StopReason | undefined }>();
  const key = sshKeyPair();

  const get = async (name: string) => (await client.request('workspace.get', { name })).workspace;
  const create = async (name: string) => (await client.request('workspace.create', { name })).workspace;
  const open = (workspace: Workspace, command?: string) => {
    const s = session(workspace, key.privateKey, command);
    sessions.push(s);
    return s;
  };
  const attached = (name: string) =>
    waitFor(`${name}'s session to count as attached`, async () => {
      const status = await client.request('idle.status', {});
      return (status.workspaces.find((ws) => ws.name === name)?.signals?.attached ?? 0) > 0;
    });

  before(async () => {
    client = await agent.connect(agent.token('alice'));
    client.onEvent((event: ClientEvent) => {
      if (event.event === 'workspace.changed' && event.data.workspace.state === 'stopped') {
        stops.set(event.data.workspace.name, { seen: Date.now(), reason: event.data.workspace.stopReason });
      }
    });
    await client.request('user.addKey', { key: key.publicKey });
  });

  it('keeps a plain ssh -tt session past its attached grace while someone types; output alone does not count', async () => {
    const [typist, printer] = await Promise.all([create('typist'), create('printer')]);
    const shell = open(typist);
    open(printer, 'while :; do echo tick; sleep 1; done');
    await Promise.all([attached('typist'), attached('printer')]);
    const typedUntil = Date.parse(typist.since) + (GRACE + IDLE) * 1000;
    await waitFor(
      'the printer to stop and the typist to outlive its grace and idle timeout',
      () => {
        type(shell);
        return stops.has('printer') && Date.now() > typedUntil;
      },
      120_000,
      TYPE_EVERY_MS,
    );
    assert.equal(stops.get('printer')?.reason, 'attached-grace', 'a loop printing output is not presence');
    const printed = await get('printer');
    assert.notEqual(printed.lastActivity?.signal, 'present');
    const kept = await get('typist');
    assert.equal(kept.state, 'running', 'typing kept it past its grace');
    assert.equal(stops.has('typist'), false);
    assert.equal(kept.lastActivity?.signal, 'present');
    assert.equal(kept.lastActivity?.source, 'ssh terminal');
    const status = await client.request('idle.status', {});
    assert.match(status.workspaces.find((ws) => ws.name === 'typist')?.decision?.reason ?? '', /typing/);

    // Left silent, the same session no longer holds it: someone typed since it opened, so the idle
    // timeout counts from the last input, as for a window whose client reported presence.
    const stop = await waitFor('the silent typist to stop', () => stops.get('typist'), 60_000);
    assert.equal(stop.reason, 'idle');
  });

  it('keeps a workspace with two sessions, one typing and one idle; stops a silent login after its grace', async () => {
    const [pair, silent] = await Promise.all([create('pair'), create('silent')]);
    const shell = open(pair);
    open(pair);
    open(silent);
    await Promise.all([attached('pair'), attached('silent')]);
    const typedUntil = Date.parse(pair.since) + (GRACE + IDLE) * 1000;
    await waitFor(
      'the silent login to stop and the pair to outlive its grace and idle timeout',
      () => {
        type(shell);
        return stops.has('silent') && Date.now() > typedUntil;
      },
      120_000,
      TYPE_EVERY_MS,
    );
    const stop = stops.get('silent');
    assert.equal(stop?.reason, 'attached-grace', 'a shell waiting on its terminal is not typing');
    assert.ok(stop && stop.seen - Date.parse(silent.since) >= GRACE * 1000, 'not before its grace');
    const status = await client.request('idle.status', {});
    const pairStatus = status.workspaces.find((ws) => ws.name === 'pair');
    assert.equal(pairStatus?.state, 'running');
    assert.equal(pairStatus?.signals?.attached, 2);
    assert.equal((await get('pair')).lastActivity?.source, 'ssh terminal');
  });
});
