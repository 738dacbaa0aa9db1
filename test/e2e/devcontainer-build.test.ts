import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Locator } from 'playwright-core';
import { Writable } from 'node:stream';
import type { AgentClient } from '../../client/agent-client';
import { execInWorkspace } from '../../client/exec';
import type { Workspace } from '../../protocol';
import { docker } from '../support/docker';
import { useAgent } from '../support/use-agent';
import { waitFor } from '../support/wait';
import { connectedHostRow, workspaceRow } from './support/berth';
import type { CodeServer } from './support/code-server';
import { keepFailure } from './support/failure';
import { openBerthWindow, type BerthWindow } from './support/window';
import type { Workbench } from './support/workbench';

/** A build, then a create that waits for sshd; Docker on a busy machine can be slow. */
const DEADLINE_MS = 180_000;

/** What `command` prints in workspace `name`, through the agent. */
async function printed(client: AgentClient, name: string, command: string[]): Promise<string> {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  await execInWorkspace(client, { name }, command, { stdout: sink, stderr: sink, stdin: null });
  return out;
}

/**
 * "Create Workspace from devcontainer.json…" and "Rebuild Workspace" in a real VS Code against a
 * real agent and Docker: the open folder's definition, whose `build` is built on the host with its
 * log in "Berth: Build", then a rebuild from the same folder, then a rebuild cancelled while Docker
 * builds. The steps run in order and build on each other.
 */
describe('e2e: workspaces built from a devcontainer.json in code-server', function () {
  this.timeout(420_000);
  const agent = useAgent();
  const marker = randomBytes(6).toString('hex');
  let client: AgentClient;
  let berthWindow: BerthWindow;
  let server: CodeServer;
  let workbench: Workbench;
  let agentId = '';
  let dockerfile = '';
  let created: Workspace;
  const hostRow = connectedHostRow('Lab Host', 'alice');

  /** The text of the "Berth: Build" output channel, as code-server keeps it in its logs. */
  const buildLog = async () => {
    const entries = await fs.readdir(server.root, { recursive: true, withFileTypes: true });
    const files = entries
      .filter((e) => e.isFile() && /Berth\W*Build\.log$/.test(e.name))
      .map((e) => path.join(e.parentPath, e.name));
    return (await Promise.all(files.map((file) => fs.readFile(file, 'utf8')))).join('');
  };
  const waitForLog = (what: string, pattern: RegExp) =>
    workbench.until(`the build log to show ${what}`, async () => pattern.test(await buildLog()), DEADLINE_MS);

  /** Waits until a toast has faded in, for a screenshot that shows it. */
  const shownWhole = async (toast: Locator) => {
    type Styled = { ownerDocument: { defaultView: { getComputedStyle(node: unknown): { opacity: string } } } };
    const opacity = () =>
      toast.evaluate((node: Styled) => node.ownerDocument.defaultView.getComputedStyle(node).opacity);
    await workbench.until('the toast to show whole', async () => (await opacity()) === '1');
  };
  /** Clears the toasts of the steps before. */
  const clearNotifications = async () => {
    await workbench.runCommand('Notifications: Clear All Notifications');
    await workbench.until('the notifications to clear', async () => (await workbench.notifications()).length === 0);
  };

  before(async () => {
    const token = agent.token('alice');
    client = await agent.connect(token);
    agentId = readFileSync(path.join(agent.stateDir, 'agent-id'), 'utf8').trim();
    berthWindow = await openBerthWindow({ host: { url: agent.url, name: 'Lab Host', token, user: 'alice' } });
    ({ server, workbench } = berthWindow);
    const dir = path.join(berthWindow.folder, '.devcontainer');
    await fs.mkdir(dir);
    dockerfile = path.join(dir, 'Dockerfile');
    await fs.writeFile(dockerfile, `FROM berth-workspace:latest\nRUN echo built-${marker}-one > /opt/built\n`);
    await fs.writeFile(
      path.join(dir, 'devcontainer.json'),
      [
        '// The project of the e2e test: built on the host from this folder.',
        '{',
        '  "name": "e2e project",',
        '  "build": { "dockerfile": "Dockerfile" },',
        '  "hostRequirements": { "cpus": 1, "memory": "512mb" },',
        '  "containerEnv": { "PROJECT_MARKER": "' + marker + '" },',
        '  "overrideCommand": false,',
        '}',
      ].join('\n'),
    );
  });

  afterEach(async function () {
    await keepFailure(this.currentTest, 'devcontainer-build', { workbench, server, agentLog: () => agent.log });
  });

  after(async () => {
    await berthWindow?.close();
    // Runs once the agent is gone (hooks after useAgent's): every image it built carries its id.
    const images = docker('images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}')
      .split('\n')
      .filter((line) => agentId && line.endsWith(`:${agentId}`))
      .map((line) => line.split(' ')[0] ?? '');
    if (images.length) docker('rmi', '-f', ...new Set(images));
  });

  it('creates from the open folder’s definition: named after the folder, built on the host, the log shown', async () => {
    await workbench.contextMenu(hostRow, 'Create Workspace from devcontainer.json…');
    await workbench.quickInput.waitForTitleOrPrompt('New workspace on Lab Host from devcontainer.json');
    assert.equal(await workbench.quickInput.input.inputValue(), 'project', 'the folder’s name by default');
    await workbench.screenshot('devcontainer-build-name');
    await workbench.quickInput.typeAndEnter('project');
    await workbench.waitForNotification(/2 properties of devcontainer\.json are ignored by Berth\./);
    await workbench.waitForNotification(/Creating project/);
    await waitForLog('the RUN step', new RegExp(`RUN echo built-${marker}-one`));
    await workbench.screenshot('devcontainer-build-building');
    await workbench.waitForTreeRow(workspaceRow('project', 'running'), DEADLINE_MS);
    await workbench.waitForNotification(/Workspace "project" is running on Lab Host/);
    await workbench.screenshot('devcontainer-build-created');
    const log = await buildLog();
    assert.match(
      log,
      /^devcontainer\.json:7:3: overrideCommand: ignored: Berth always runs its own init \(sshd\)$/m,
      log,
    );
    assert.match(log, /Step 1\/\d+ : FROM berth-workspace:latest/, log);
    assert.match(log, /built berth-build\//, log);
    created = (await client.request('workspace.get', { name: 'project' })).workspace;
    assert.equal(created.spec.build?.context, path.dirname(dockerfile));
    assert.equal(created.spec.cpus, 1);
    assert.equal(await printed(client, 'project', ['cat', '/opt/built']), `built-${marker}-one\n`);
    assert.equal(await printed(client, 'project', ['sh', '-c', 'printf %s "$PROJECT_MARKER"']), marker);
  });

  it('rebuilds from the same folder: the changed Dockerfile is built and the workspace runs the new image', async () => {
    await fs.writeFile(dockerfile, `FROM berth-workspace:latest\nRUN echo built-${marker}-two > /opt/built\n`);
    await printed(client, 'project', ['sh', '-c', 'echo kept > ~/kept.txt']);
    await workbench.contextMenu(workspaceRow('project', 'running'), 'Rebuild Workspace');
    await workbench.waitForNotification(/Rebuilding project/);
    await waitForLog('the new RUN step', new RegExp(`RUN echo built-${marker}-two`));
    await workbench.waitForNotification(/Workspace "project" was rebuilt; its home was kept\./, DEADLINE_MS);
    await workbench.waitForTreeRow(workspaceRow('project', 'running'), DEADLINE_MS);
    await workbench.screenshot('devcontainer-build-rebuilt');
    // The row's tooltip names the definition and the folder the image is built from.
    const row = await workbench.waitForTreeRow(workspaceRow('project', 'running'));
    const tooltip = await workbench.tooltipOf(row, /Built\sfrom/);
    assert.match(tooltip, /Definition\s+\S*\/project\/\.devcontainer\/devcontainer\.json/, tooltip);
    assert.match(tooltip, /^Built\sfrom\s+\S*\/project\/\.devcontainer$/m, tooltip);
    await workbench.screenshot('devcontainer-build-tooltip');
    const { workspace } = await client.request('workspace.get', { name: 'project' });
    assert.notEqual(workspace.spec.image, created.spec.image, 'a new image');
    assert.equal(await printed(client, 'project', ['cat', '/opt/built']), `built-${marker}-two\n`);
    assert.equal(await printed(client, 'project', ['sh', '-c', 'cat ~/kept.txt']), 'kept\n');
  });

  it('cancels a rebuild while Docker builds: said so, and the workspace keeps its image', async () => {
    const before = (await client.request('workspace.get', { name: 'project' })).workspace;
    await workbench.page.mouse.move(700, 300); // away from the row, whose tooltip would cover the toasts
    await clearNotifications();
    await fs.writeFile(
      dockerfile,
      `FROM berth-workspace:latest\nRUN echo slow-${marker} && sleep 600\nRUN echo never > /opt/built\n`,
    );
    await workbench.runCommand('Berth: Rebuild Workspace');
    await workbench.quickInput.waitForTitleOrPrompt('Rebuild which workspace?');
    await workbench.quickInput.pick('project');
    await waitForLog('the slow step running', new RegExp(`RUN echo slow-${marker}`));
    await workbench.waitForNotification(/Rebuilding project.*building the image/);
    // The toast that says it was cancelled names the rebuild too: the progress one is told by its message.
    await workbench.clickNotificationButton('Cancel', /Rebuilding project: building the image/);
    const toast = await workbench.waitForNotification(
      /Rebuilding project was cancelled during the build: nothing was changed\./,
    );
    await shownWhole(toast);
    await workbench.screenshot('devcontainer-build-cancelled');
    await waitForLog('the cancel', /--- Rebuilding project was cancelled/);
    await waitFor('the workspace to keep its image', async () => {
      const { workspace } = await client.request('workspace.get', { name: 'project' });
      return workspace.state === 'running' && workspace.spec.image === before.spec.image;
    });
  });

  it('says so, and changes nothing, when the folder the workspace was built from is gone', async () => {
    const folder = path.dirname(dockerfile);
    await fs.rename(folder, `${folder}-moved`);
    try {
      await clearNotifications();
      await workbench.contextMenu(workspaceRow('project', 'running'), 'Rebuild Workspace');
      const toast = await workbench.waitForNotification(
        /^Could not rebuild project: the folder it was built from is gone from this machine \(\S+\/project\/\.devcontainer\)\./,
      );
      await shownWhole(toast);
      await workbench.screenshot('devcontainer-build-folder-gone');
      assert.ok(
        !(await workbench.notifications()).some((text) => /^Rebuilding project(:|$)/.test(text)),
        'no build began',
      );
    } finally {
      await fs.rename(`${folder}-moved`, folder);
    }
  });

  /** Runs "Create Workspace from devcontainer.json…" on `definition` (in place of the folder's) as workspace `name`. */
  const createFrom = async (definition: string, name: string) => {
    await fs.writeFile(path.join(path.dirname(dockerfile), 'devcontainer.json'), definition);
    await clearNotifications();
    await workbench.runCommand('Berth: Create Workspace from devcontainer.json…');
    await workbench.quickInput.waitForTitleOrPrompt('New workspace on Lab Host from devcontainer.json');
    await workbench.quickInput.input.fill('project');
    await workbench.quickInput.input.press('Enter'); // taken already: refused, the box stays
    await workbench.quickInput.waitForTitleOrPrompt('You already have a workspace called "project"');
    await workbench.quickInput.typeAndEnter(name);
  };

  it('stops on a property Berth refuses, saying which and where, and creates nothing', async () => {
    await createFrom('{\n  "image": "berth-workspace:latest",\n  "privileged": true\n}\n', 'refused');
    const toast = await workbench.waitForNotification(
      /^Nothing was created: devcontainer\.json:3:3: privileged: refused: a privileged container is root on the shared host; remove it$/,
    );
    await shownWhole(toast);
    await workbench.screenshot('devcontainer-build-refused');
    await waitForLog('the refusal', /^devcontainer\.json:3:3: privileged: refused: /m);
    const { workspaces } = await client.request('workspace.list', {});
    assert.deepEqual(
      workspaces.map((ws) => ws.name),
      ['project'],
    );
  });

  it('checks hostRequirements against the host before building, and creates nothing', async () => {
    await createFrom('{ "build": { "dockerfile": "Dockerfile" }, "hostRequirements": { "cpus": 4096 } }', 'big');
    await workbench.waitForNotification(
      /^Could not create big: devcontainer\.json:1:\d+: hostRequirements\.cpus 4096: host \S+ has \d+ CPUs; create it on a larger host, or lower the requirement\./,
    );
    assert.ok(!(await workbench.notifications()).some((text) => /^Creating big/.test(text)), 'no build began');
    const { workspaces } = await client.request('workspace.list', {});
    assert.deepEqual(
      workspaces.map((ws) => ws.name),
      ['project'],
    );
  });

  it('says why a build failed, under its log, and creates nothing', async () => {
    await fs.writeFile(dockerfile, `FROM berth-workspace:latest\nRUN echo failing-${marker} && exit 3\n`);
    await createFrom(
      '{ "build": { "dockerfile": "Dockerfile" }, "hostRequirements": { "memory": "512mb" } }',
      'failing',
    );
    const toast = await workbench.waitForNotification(/^Could not create failing: .*exit/, DEADLINE_MS);
    await shownWhole(toast);
    await workbench.screenshot('devcontainer-build-build-error');
    await waitForLog(
      'the failure under the log',
      new RegExp(`failing-${marker}\\n(.*\\n)*--- Creating failing: the build failed at step 2\\/3 `),
    );
    const { workspaces } = await client.request('workspace.list', {});
    assert.deepEqual(
      workspaces.map((ws) => ws.name),
      ['project'],
    );
  });
});
