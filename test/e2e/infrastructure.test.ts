import * as assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageSampleExtension } from './fixtures/sample-extension/build';
import { CodeServer, requireCodeServer } from './support/code-server';
import { Workbench } from './support/workbench';
import { waitFor } from '../support/wait';
import { keepFailure } from './support/failure';

/**
 * Smoke test of the e2e harness with a throwaway extension: when this fails, code-server, Chromium
 * or the harness broke, not Berth's extension.
 */
describe('e2e: code-server infrastructure', function () {
  this.timeout(180_000);
  let work: string;
  let server: CodeServer;
  let workbench: Workbench;

  before(async () => {
    requireCodeServer();
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-e2e-sample-'));
    const vsix = await packageSampleExtension(work);
    const folder = path.join(work, 'folder');
    await fs.mkdir(folder);
    server = await CodeServer.start({ vsix, folder, env: { SAMPLE_ENV: 'passed through' } });
    workbench = await Workbench.open(server.url);
  });

  afterEach(async function () {
    await keepFailure(this.currentTest, 'infrastructure', { workbench, server });
  });

  after(async () => {
    await workbench?.close();
    await server?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('shows the view container by its aria-label with both tree rows', async () => {
    await workbench.openView('Sample Explorer');
    await workbench.waitForTreeRow('alpha first row');
    await workbench.waitForTreeRow(/^beta /);
    assert.deepEqual(await workbench.treeRows('Items'), ['alpha first row', 'beta env: passed through']);
    await workbench.screenshot('infrastructure-1-tree');
  });

  it('expands a collapsed row to show its children', async () => {
    await workbench.expandTreeRow('alpha first row');
    await workbench.waitForTreeRow('child');
    assert.deepEqual(await workbench.treeRows('Items'), ['alpha first row', 'child', 'beta env: passed through']);
  });

  it('shows the welcome content of an empty view', async () => {
    const welcome = await workbench.until('the welcome content of Empty Items', () =>
      workbench.welcomeView('Empty Items'),
    );
    assert.equal(welcome, 'Nothing here yet.\nGreet Someone');
    assert.deepEqual(await workbench.treeRows('Empty Items'), []);
  });

  it('passes the environment through to the extension host', async () => {
    await workbench.waitForTreeRow('beta env: passed through');
  });

  it("finds an extension's output channel among code-server's logs", async () => {
    await waitFor('the Sample output channel to log activation', async () =>
      (await server.outputChannel('Sample')).includes('activated with SAMPLE_ENV=passed through'),
    );
  });

  it('runs a palette command, answers its input box and clicks its notification button', async () => {
    await workbench.runCommand('Sample: Greet Someone');
    await workbench.quickInput.waitForTitleOrPrompt('Who should be greeted?');
    await workbench.screenshot('infrastructure-2-input-box');
    await workbench.quickInput.typeAndEnter('Ada');
    await workbench.waitForNotification('Hello, Ada!');
    await workbench.screenshot('infrastructure-3-notification');
    await workbench.clickNotificationButton('Wave Back', 'Hello, Ada!');
    await workbench.waitForTreeRow('Ada waved back');
  });

  it('runs a command from a welcome-view button', async () => {
    await workbench.clickWelcomeButton('Empty Items', 'Greet Someone');
    await workbench.quickInput.typeAndEnter('Grace');
    await workbench.clickNotificationButton('Wave Back', 'Hello, Grace!');
    await workbench.waitForTreeRow('Grace waved back');
  });

  it('chooses from a tree row context menu, then from a QuickPick', async () => {
    assert.deepEqual(await workbench.openContextMenu('alpha first row'), ['Paint Item']);
    await workbench.screenshot('infrastructure-4-context-menu');
    await workbench.chooseMenuItem('Paint Item');
    await workbench.quickInput.waitForTitleOrPrompt('Paint alpha');
    await workbench.screenshot('infrastructure-5-quick-pick');
    await workbench.quickInput.pick('green');
    await workbench.waitForTreeRow('alpha painted green');
  });

  it('clicks an inline action of a row and answers its modal dialog', async () => {
    await workbench.clickInlineAction(/^beta /, 'Remove Item');
    await workbench.dialog.waitFor('Remove beta?');
    await workbench.screenshot('infrastructure-6-modal');
    await workbench.dialog.click('Remove');
    await workbench.waitForNoTreeRow(/^beta /);
    assert.deepEqual(await workbench.treeRows('Items'), [
      'alpha painted green',
      'child',
      'Ada waved back',
      'Grace waved back',
    ]);
    await workbench.screenshot('infrastructure-7-after');
  });

  it('leaves no process and no temp dir behind when stopped', async () => {
    assert.ok((await server.processes()).length > 1, 'code-server runs more than one process');
    await workbench.close();
    await server.stop();
    assert.deepEqual(await server.processes(), []);
    assert.equal(existsSync(server.root), false);
  });
});
