import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { AgentClient } from '../../client/agent-client';
import type { BerthError, Workspace } from '../../protocol';
import { AgentProcess } from '../support/agent-process';
import { dockerExists, requireDocker } from '../support/docker';
import { homeFile, refusal, withHomeFile } from './homes';
import { SMALL, destroyAgent, dockerAsync, mint } from './support';

const run = promisify(execFile);

describe('adversarial: a full disk under the state directory', function () {
  this.timeout(180_000);
  let full: AgentProcess | undefined;
  let client: AgentClient;
  let mountPoint: string;
  let deleteRefusal: BerthError | null;
  let stopRefusal: BerthError | null;
  let whileFull: Workspace[];
  let afterRestart: Workspace[];
  let kept: { ws: Workspace; content: string };
  let running: Workspace;

  /** Writes until the file system says there is no space left. */
  async function fill(dir: string): Promise<void> {
    const handle = await fs.open(path.join(dir, 'filler'), 'w');
    try {
      for (const size of [1024 * 1024, 4096, 1]) {
        for (;;) {
          const written = await handle.write(Buffer.alloc(size)).catch((err: NodeJS.ErrnoException) => {
            if (err.code === 'ENOSPC') return null;
            throw err;
          });
          if (!written) break;
        }
      }
    } finally {
      await handle.close();
    }
  }

  before(async function () {
    requireDocker();
    mountPoint = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-adversarial-full-'));
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', mountPoint]);
    } catch (err) {
      // Only where tmpfs cannot be mounted (no root): say so rather than pretend.
      console.log(`      no tmpfs for a full disk here: ${(err as Error).message}`);
      await fs.rmdir(mountPoint);
      mountPoint = '';
      this.skip();
    }
    full = await AgentProcess.start({ stateDir: mountPoint });
    client = await full.connect(mint(full, 'root', true).token);
    kept = await withHomeFile(client, 'full-delete');
    running = (await client.request('workspace.create', { name: 'full-stop', ...SMALL })).workspace;
    await client.request('workspace.create', { name: 'full-other', ...SMALL });

    await fill(mountPoint);
    deleteRefusal = await refusal(client.request('workspace.delete', { name: 'full-delete', deleteData: true })).catch(
      () => null,
    );
    stopRefusal = await refusal(client.request('workspace.stop', { name: 'full-stop' })).catch(() => null);
    whileFull = (await client.request('workspace.list', {})).workspaces;

    // Space again; the next save (any change) writes whatever the agent holds in memory.
    await fs.rm(path.join(mountPoint, 'filler'));
    await client.request('workspace.update', { name: 'full-other', changes: { idleTimeout: 7200 } });
    client.close();
    await full.kill9();
    await full.restart();
    client = await full.connect(mint(full, 'root', true).token);
    afterRestart = (await client.request('workspace.list', {})).workspaces;
  });

  after(async () => {
    client?.close();
    if (!mountPoint) return;
    await destroyAgent(full, [], async () => {
      await run('umount', [mountPoint]);
    });
  });

  it('refuses a delete and a stop it cannot save, each with an error that says why', () => {
    assert.ok(deleteRefusal, 'the delete was carried out on a full disk');
    assert.ok(stopRefusal, 'the stop was carried out on a full disk');
    assert.match(deleteRefusal.message, /space/i);
    assert.match(stopRefusal.message, /space/i);
  });

  it('shows the refused delete and stop as not done while the disk is full', () => {
    const state = (name: string) => whileFull.find((ws) => ws.name === name)?.state;
    assert.equal(state('full-delete'), 'running');
    assert.equal(state('full-stop'), 'running');
  });

  it('does not carry out the refused delete later: the workspace, its container and its home file stay', async () => {
    const ws = afterRestart.find((w) => w.name === 'full-delete');
    assert.ok(ws, 'the workspace was deleted after all');
    assert.equal(ws.state, 'running');
    assert.ok(dockerExists('container', `berth-${ws.id}`), 'its container was removed');
    assert.equal(await homeFile(kept.ws), kept.content, 'its home was deleted');
  });

  it('does not carry out the refused stop later: the workspace still runs', async () => {
    const ws = afterRestart.find((w) => w.name === 'full-stop');
    assert.equal(ws?.state, 'running');
    const state = await dockerAsync('inspect', '-f', '{{.State.Running}}', `berth-${running.id}`);
    assert.equal(state, 'true', 'its container was stopped');
  });

  it('leaves no temporary files in the state directory after the failed saves', async () => {
    const names = await fs.readdir(mountPoint, { recursive: true });
    assert.deepEqual(
      names.filter((name) => /\.tmp$/.test(name)),
      [],
    );
  });
});
