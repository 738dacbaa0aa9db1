import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { Workspace } from '../../protocol';
import { berth } from '../support/agent-process';
import { cliEnv } from '../support/cli';
import { fakeGpuEnv } from '../support/fake-gpus';
import { useAgent } from '../support/use-agent';
import { workspaceRow } from './support/berth';
import type { CodeServer } from './support/code-server';
import { keepFailure } from './support/failure';
import { openBerthWindow, type BerthWindow } from './support/window';
import type { Workbench } from './support/workbench';

/** Creating a workspace waits for its sshd; Docker on a busy machine can be slow. */
const LIFECYCLE_DEADLINE_MS = 90_000;

const docker = (...args: string[]) => {
  const run = spawnSync('docker', args, { encoding: 'utf8' });
  assert.equal(run.status, 0, `docker ${args.join(' ')}: ${run.stderr}`);
};

/**
 * The create wizard in a real VS Code against a real agent on a host with several GPU models (a
 * fake nvidia-smi): forward, Back, a refused value, a custom one, a create that fails (the image is
 * removed behind the wizard's back) and is asked again with the answers kept, then one that works
 * and offers Connect. The steps run in order and build on each other.
 */
describe('e2e: the create wizard in code-server', function () {
  this.timeout(240_000);
  const agent = useAgent({ args: ['--idle-timeout', '45m'], env: fakeGpuEnv('plain') });
  // An image of its own, removed before the first create finishes so that the agent refuses it.
  const doomedRepository = `berth-wizard-e2e-${randomBytes(4).toString('hex')}`;
  const doomed = `${doomedRepository}:doomed`;
  let cli: NodeJS.ProcessEnv;
  let berthWindow: BerthWindow;
  let server: CodeServer;
  let workbench: Workbench;

  /** The open quick input's rows as shown: label, description and detail. */
  const rows = async () =>
    (await workbench.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').allInnerTexts()).map(
      (row) => row.replace(/\s+/g, ' ').trim(),
    );
  /** The labels of the open list's items as shown (a row keeps a hidden detail of an earlier item). */
  const labels = () =>
    workbench.page
      .locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name')
      .evaluateAll((nodes: { checkVisibility(): boolean; textContent: string | null }[]) =>
        nodes.filter((node) => node.checkVisibility()).map((node) => (node.textContent ?? '').trim()),
      );
  /** The text of the list's active row. */
  const focusedRow = async () =>
    (
      (await workbench.page
        .locator('.quick-input-widget .quick-input-list .monaco-list-row.focused')
        .first()
        .innerText()
        .catch(() => '')) ?? ''
    ).trim();
  const quickInput = () => workbench.quickInput;
  /** Waits for step `title` of the wizard; returns what it shows. */
  const step = async (title: string) => {
    await quickInput().waitForTitleOrPrompt(title);
    return (await quickInput().state())!;
  };
  /** Presses Enter in the open step and waits for the step after it (titled `next`). */
  const enter = async (next: string) => {
    await quickInput().input.press('Enter');
    await quickInput().waitForTitleOrPrompt(next);
  };
  /** Types into the open list step (replacing its text) and waits for a row matching `row`. */
  const typeInto = async (text: string, row: RegExp) => {
    await quickInput().input.fill(text);
    await workbench.until(`a row ${String(row)}`, async () => (await rows()).some((r) => row.test(r)));
  };

  /**
   * Empties the image step's text and waits for the list drawn for it (the host's images, no typed
   * row): a pick before then could click a row that is about to be replaced.
   */
  const showAll = async () => {
    await quickInput().input.fill('');
    await workbench.until('the whole list again, without the refusal', async () => {
      const shown = await rows();
      return (
        shown.some((row) => row.startsWith('berth-workspace:latest')) && !shown.some((row) => /not on this/.test(row))
      );
    });
  };

  before(async () => {
    cli = cliEnv(agent.url, agent.token('alice'));
    docker('tag', 'berth-workspace:latest', doomed);
    berthWindow = await openBerthWindow({
      host: { url: agent.url, name: 'Lab Host', token: agent.token('alice'), user: 'alice' },
      settings: { 'terminal.integrated.gpuAcceleration': 'off' },
    });
    ({ server, workbench } = berthWindow);
  });

  afterEach(async function () {
    await keepFailure(this.currentTest, 'create-wizard', { workbench, server, agentLog: () => agent.log });
  });

  after(async () => {
    await berthWindow?.close();
    spawnSync('docker', ['rmi', doomed], { encoding: 'utf8' });
    if (cli?.HOME) await fs.rm(cli.HOME, { recursive: true, force: true });
  });

  it('asks the name first, without Back', async () => {
    await workbench.runCommand('Berth: Create Workspace');
    await step('New workspace on Lab Host (1/7): name');
    assert.equal(await workbench.page.locator('.quick-input-widget .codicon-quick-input-back').count(), 0);
    await quickInput().typeAndEnter('wiz');
  });

  it("lists the host's images and flags a malformed or absent image as it is typed", async () => {
    const image = await step('(2/7): image');
    assert.ok(image.items.includes('berth-workspace:latest'), `images offered: ${image.items.join(', ')}`);
    await workbench.screenshot('create-wizard-1-images');
    // The list draws only the rows in view, and a shared engine has images of other suites: the
    // test types part of its own image's name and finds it among the images that match.
    await quickInput().input.fill(doomedRepository);
    await workbench.until(`the image tagged beforehand (${doomed}) offered`, async () =>
      (await labels()).includes(doomed),
    );
    await typeInto('Bad//Image', /repository path must be lowercase|empty path component/);
    await workbench.screenshot('create-wizard-2-image-refused');
    await quickInput().input.press('Enter');
    assert.match((await quickInput().state())?.title ?? '', /\(2\/7\): image/, 'Enter on a refused image stays');
    await typeInto('ubuntu:nope', /ubuntu:nope is not on this host/);
    await showAll();
    // The list is redrawn for each text: pick from the one drawn for the filter (its typed row says
    // the repository alone is not here), not a row about to be replaced.
    await quickInput().input.fill(doomedRepository);
    await workbench.until(`${doomed} among the images matching ${doomedRepository}`, async () => {
      const shown = await rows();
      return (
        shown.some((row) => row.startsWith(doomed)) &&
        shown.some((row) => row.includes(`${doomedRepository} is not on this host`))
      );
    });
    await quickInput().pick(doomed);
    await step('(3/7): CPUs');
  });

  it('shows the host default with its number, refuses more CPUs than the host has, and goes Back', async () => {
    const cpus = await step('(3/7): CPUs');
    assert.equal(cpus.items[0], 'Host default');
    assert.ok((await rows())[0]?.includes('CPUs'), `the default's row says how many: ${(await rows())[0]}`);
    await typeInto('4096', /This host has \d+ CPUs; ask for at most \d+/);
    await workbench.screenshot('create-wizard-3-cpus-refused');
    await workbench.page.locator('.quick-input-widget .codicon-quick-input-back').click();
    const image = await step('(2/7): image');
    assert.equal(image.value, '', 'the listed image is chosen in the list, not typed');
    await workbench.until('the image chosen before to be the active item', async () =>
      (await focusedRow()).startsWith(doomed),
    );
    await enter('(3/7): CPUs');
  });

  it('takes custom CPUs and memory as typed', async () => {
    await typeInto('1.5', /1\.5 CPUs\s*as typed/);
    await enter('(4/7): memory');
    await typeInto('768m', /768 MiB\s*as typed/);
    await workbench.screenshot('create-wizard-4-memory-custom');
    await enter('(5/7): GPU model');
  });

  it('offers each GPU model of the host with how many are free, then the count', async () => {
    const models = await step('(5/7): GPU model');
    assert.ok(models.items.includes('Tesla T4'));
    assert.deepEqual(await labels(), ['Any model', 'NVIDIA H100 80GB HBM3', 'NVIDIA A100-PCIE-40GB', 'Tesla T4']);
    await workbench.screenshot('create-wizard-5-gpu-model');
    await quickInput().pick('Any model');
    await step('(6/7): GPUs');
    await quickInput().pick('No GPU');
  });

  it('says what the host default idle stop is; a failed create asks again with the answers kept', async () => {
    await step('(7/7): stop when idle');
    const first = (await rows())[0] ?? '';
    assert.match(first, /Host default\s*after 45 min/);
    await workbench.screenshot('create-wizard-6-idle');
    docker('rmi', doomed);
    await quickInput().pick('Host default');
    await quickInput().waitForTitleOrPrompt('Your answers are kept', LIFECYCLE_DEADLINE_MS);
    const again = await step('Your answers are kept');
    assert.match(again.prompt, /^Could not create wiz: image "berth-wizard-e2e-\w+:doomed" is not on this host/);
    const toasts = await workbench.notifications();
    assert.ok(
      !toasts.some((t) => t.startsWith('Could not create')),
      'the wizard says why; no toast outlives the retry',
    );
    assert.equal(again.value, 'wiz');
    assert.match(again.title, /\(1\/7\): name/);
    await workbench.screenshot('create-wizard-7-asked-again');
  });

  it('keeps every answer on the way through; changing the image makes the create work', async () => {
    await enter('(2/7): image');
    const image = await step('(2/7): image');
    assert.equal(image.value, doomed, 'the image given before is kept, typed, since the host no longer has it');
    assert.ok((await rows()).some((r) => r.includes(`${doomed} is not on this host`)));
    await showAll();
    await quickInput().pick('berth-workspace:latest');
    assert.equal((await step('(3/7): CPUs')).value, '1.5');
    await enter('(4/7): memory');
    assert.equal((await step('(4/7): memory')).value, '768m');
    await enter('(5/7): GPU model');
    await enter('(6/7): GPUs');
    await enter('(7/7): stop when idle');
    await quickInput().input.press('Enter');
    await workbench.waitForTreeRow(workspaceRow('wiz', 'running'), LIFECYCLE_DEADLINE_MS);
    const made = z
      .array(Workspace)
      .parse(JSON.parse(berth(['ls', '--json'], cli).stdout))
      .find((ws) => ws.name === 'wiz');
    assert.equal(made?.spec.image, 'berth-workspace:latest');
    assert.equal(made?.spec.cpus, 1.5);
    assert.equal(made?.spec.memory, 768 * 1024 ** 2);
    assert.equal(made?.spec.gpus, 0);
    assert.equal(made?.spec.idleTimeout, undefined, 'the host default is left to the agent');
  });

  it('offers Connect and Open Terminal once the workspace is up; Open Terminal enters it', async () => {
    const offer = await workbench.waitForNotification('Workspace "wiz" is running on Lab Host.');
    for (const button of ['Connect', 'Open Terminal']) {
      assert.ok(await offer.getByRole('button', { name: button }).isVisible(), `the offer has "${button}"`);
    }
    await workbench.screenshot('create-wizard-8-connect-offer');
    await workbench.clickNotificationButton('Open Terminal', 'Workspace "wiz" is running on Lab Host.');
    const panel = workbench.page.locator('.part.panel');
    await workbench.until('a shell prompt of the workspace user in the terminal', async () =>
      /\bdev@\S+/.test(
        await panel
          .locator('.xterm-rows')
          .innerText()
          .catch(() => ''),
      ),
    );
  });
});
