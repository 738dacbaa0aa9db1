import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentClient } from '../../client/agent-client';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { docker, dockerExists } from '../support/docker';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';

// A built image goes once no workspace names it; a trashed workspace's definition and an archived
// workspace name it still, or `trash restore` and `unarchive` would find their image gone.

const SMALL = ['--memory', '256m', '--cpus', '0.5'];

describe('builds: an image a trashed or archived workspace names is kept', function () {
  this.timeout(300_000);
  const agent = useAgent();
  const folders: string[] = [];
  let alice: AgentClient;
  let env: NodeJS.ProcessEnv;
  let agentId = '';

  /** Creates `name` from a fresh build (a Dockerfile of its own); returns the image. */
  const createBuilt = async (name: string, marker = randomBytes(6).toString('hex')): Promise<string> => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-kept-'));
    folders.push(dir);
    writeFileSync(path.join(dir, 'Dockerfile'), `FROM berth-workspace:latest\nRUN echo ${marker} > /opt/marker\n`);
    const run = berth(['create', name, '--build', dir, ...SMALL], env);
    assert.equal(run.code, 0, run.stderr);
    return (await alice.request('workspace.get', { name })).workspace.spec.image;
  };
  /** A build made and let go of at once: once its removal is logged, the agent dealt with what came before. */
  const cleanupPassed = async () => {
    const image = await createBuilt('sentinel');
    await alice.request('workspace.delete', { name: 'sentinel', deleteData: true, now: true });
    await waitFor('the cleanup of an unused build', () => agent.log.includes(`removed the build ${image}`), 60_000);
  };

  before(async () => {
    const token = agent.token('alice');
    env = cliEnv(agent.url, token);
    alice = await agent.connect(token);
    agentId = readFileSync(path.join(agent.stateDir, 'agent-id'), 'utf8').trim();
  });

  after(() => {
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
    const images = docker('images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}')
      .split('\n')
      .filter((line) => agentId && line.endsWith(`:${agentId}`))
      .map((line) => line.split(' ')[0] ?? '');
    if (images.length) docker('rmi', '-f', ...new Set(images));
  });

  it('a workspace deleted into the trash keeps its image, and trash restore brings it back', async () => {
    const image = await createBuilt('trashed');
    await alice.request('workspace.delete', { name: 'trashed', deleteData: true });
    await cleanupPassed();
    assert.ok(dockerExists('image', image), `the build ${image} of a trashed workspace was removed`);
    const { workspace } = await alice.request('trash.restore', { name: 'trashed' });
    assert.equal(workspace.state, 'running');
    assert.equal(workspace.spec.image, image);
  });

  it('an archived workspace keeps its image when another using it is deleted, and unarchive brings it back', async () => {
    const marker = randomBytes(6).toString('hex');
    const image = await createBuilt('archived', marker);
    assert.equal(await createBuilt('sibling', marker), image, 'the same inputs built twice');
    await alice.request('workspace.archive', { name: 'archived' });
    await alice.request('workspace.delete', { name: 'sibling', deleteData: true, now: true });
    await cleanupPassed();
    assert.ok(dockerExists('image', image), `the build ${image} of an archived workspace was removed`);
    const { workspace } = await alice.request('workspace.unarchive', { name: 'archived' });
    assert.equal(workspace.state, 'running');
  });

  it('the image goes once the trash entry naming it is emptied', async () => {
    const { workspace } = await alice.request('workspace.get', { name: 'trashed' });
    await alice.request('workspace.delete', { name: 'trashed', deleteData: true });
    assert.ok(dockerExists('image', workspace.spec.image));
    await alice.request('trash.empty', {});
    await waitFor('the build to be removed', () => !dockerExists('image', workspace.spec.image), 60_000);
  });
});
