import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { waitFor } from '../../support/wait';
import { DEFAULT_TIMEOUT, Dialog, QuickInput, matches, textPattern, type TextMatch } from './widgets';

export { Dialog, QuickInput, type TextMatch } from './widgets';

/** Where {@link Workbench.screenshot} writes (git-ignored). */
export const SCREENSHOTS_DIR = path.resolve(__dirname, '..', '..', '..', 'test-results', 'screenshots');

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/** The little of the DOM that page functions use: the tests' tsconfig has no DOM lib. */
interface DomNode {
  readonly textContent: string | null;
  querySelector(selector: string): DomNode | null;
  checkVisibility(): boolean;
}

/** A CSS attribute value, quoted. */
function css(value: string): string {
  return JSON.stringify(value);
}

/**
 * VS Code's workbench (code-server's, in Debian's Chromium) driven the way a person does: clicks,
 * the command palette, quick inputs, context menus, notifications and modal dialogs. Every wait
 * polls a condition until a deadline; a timeout names what was awaited and dumps what the window
 * shows (tree rows, notifications, quick input, dialog, menu).
 */
export class Workbench {
  /** Errors the page logged (console.error and uncaught exceptions), for failure messages. */
  readonly pageErrors: string[] = [];
  /** Quick input (palette, input box, QuickPick). */
  readonly quickInput: QuickInput;
  /** Modal dialogs (showWarningMessage(..., { modal: true }) and the like). */
  readonly dialog: Dialog;

  private constructor(
    private readonly browser: Browser,
    readonly page: Page,
    private readonly profileDir: string,
  ) {
    this.quickInput = new QuickInput(this);
    this.dialog = new Dialog(this);
    // First lines only: the workbench logs minified stacks.
    page.on('console', (message) => {
      if (message.type() === 'error') this.pageErrors.push(message.text().split('\n')[0]!.slice(0, 300));
    });
    page.on('pageerror', (error) => this.pageErrors.push(error.message.split('\n')[0]!.slice(0, 300)));
  }

  /** Launches headless Chromium, opens `url` and waits until the workbench shows its activity bar. */
  static async open(url: string, timeoutMs = 60_000): Promise<Workbench> {
    // Chromium writes crash-report and dconf state under XDG dirs: keep them out of the real home.
    const profileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-chromium-'));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      env: { ...process.env, XDG_CONFIG_HOME: profileDir, XDG_CACHE_HOME: profileDir },
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const workbench = new Workbench(browser, page, profileDir);
      await page.goto(url);
      await workbench.until(
        'the workbench to show its activity bar and status bar',
        async () =>
          (await page.locator('.monaco-workbench .part.activitybar .action-item').first().isVisible()) &&
          (await page.locator('.monaco-workbench .part.statusbar').isVisible()),
        timeoutMs,
      );
      return workbench;
    } catch (err) {
      await browser.close();
      await fs.rm(profileDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Closes the browser and removes its profile. */
  async close(): Promise<void> {
    await this.browser.close();
    await fs.rm(this.profileDir, { recursive: true, force: true });
  }

  /**
   * Shows the view container whose activity-bar item has this aria-label (its title, as in
   * package.json's viewsContainers). Clicking an item that is already shown would hide it: it is
   * clicked only when it is not.
   */
  async openView(ariaLabel: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    // Built-in items append their keybinding: "Explorer (Ctrl+Shift+E)".
    const item = this.page
      .locator('.part.activitybar li.action-item')
      .filter({ has: this.page.locator(`a[aria-label=${css(ariaLabel)}], a[aria-label^=${css(`${ariaLabel} (`)}]`) });
    await this.until(`the activity-bar item "${ariaLabel}"`, () => item.first().isVisible(), timeoutMs);
    const shown = async () =>
      (await item.first().getAttribute('aria-selected')) === 'true' &&
      (await this.page.locator('.part.sidebar').isVisible());
    if (!(await shown())) await item.first().click();
    await this.until(`the view container "${ariaLabel}" to show`, shown, timeoutMs);
  }

  /**
   * Texts of the tree rows on screen (rendered rows only: lists are virtual): the label, then the
   * description when there is one ("beta env: hello"). `view` (a view's name) narrows to one tree;
   * without it, every tree of the side bar.
   */
  async treeRows(view?: string): Promise<string[]> {
    return (await this.rowParts(view)).map(({ label, description }) =>
      description ? `${label} ${description}` : label,
    );
  }

  /** Waits until a tree row's text (see {@link treeRows}) matches; returns that row. */
  async waitForTreeRow(text: TextMatch, timeoutMs = DEFAULT_TIMEOUT, view?: string): Promise<Locator> {
    const row = await this.until(
      `a tree row ${String(text)}`,
      async () =>
        (await this.rowParts(view)).find(({ label, description }) =>
          matches(description ? `${label} ${description}` : label, text),
        ),
      timeoutMs,
    );
    // By label and description rather than by position: the list re-renders its rows.
    let locator = this.page
      .locator(`${this.treeScope(view)} .monaco-list-row`)
      .filter({ has: this.page.locator('.label-name', { hasText: textPattern(row.label) }) });
    if (row.description) {
      locator = locator.filter({
        has: this.page.locator('.label-description', { hasText: textPattern(row.description) }),
      });
    }
    return locator.first();
  }

  /** Waits until no tree row's text matches. */
  async waitForNoTreeRow(text: TextMatch, timeoutMs = DEFAULT_TIMEOUT, view?: string): Promise<void> {
    await this.until(
      `no tree row ${String(text)}`,
      async () => !(await this.treeRows(view)).some((row) => matches(row, text)),
      timeoutMs,
    );
  }

  /** Expands the collapsed tree row whose text matches (clicks its twistie) and waits until it is expanded. */
  async expandTreeRow(text: TextMatch, timeoutMs = DEFAULT_TIMEOUT, view?: string): Promise<void> {
    const row = await this.waitForTreeRow(text, timeoutMs, view);
    if ((await row.getAttribute('aria-expanded')) === 'false') await row.locator('.monaco-tl-twistie').click();
    await this.until(
      `tree row ${String(text)} to expand`,
      async () => (await row.getAttribute('aria-expanded')) === 'true',
      timeoutMs,
    );
  }

  /**
   * The text of the welcome content (package.json's viewsWelcome) that view `view` shows instead of
   * an empty tree, one line per paragraph or button; null while it shows none.
   */
  async welcomeView(view: string): Promise<string | null> {
    const content = this.welcomeContent(view);
    if (!(await content.isVisible())) return null;
    const lines = (await content.innerText()).split('\n').map((line) => line.trim());
    return lines.filter((line) => line !== '').join('\n'); // paragraphs come with blank lines between
  }

  /** Clicks the button `label` of view `view`'s welcome content. */
  async clickWelcomeButton(view: string, label: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    const button = this.welcomeContent(view).locator('.monaco-button', {
      hasText: textPattern(label),
    });
    await this.until(`the welcome button "${label}" of view "${view}"`, () => button.isVisible(), timeoutMs);
    await button.click();
  }

  /** Runs a command from the palette by its full title as the palette shows it ("Berth: Refresh"). */
  async runCommand(title: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    await this.quickInput.close();
    await this.page.keyboard.press('F1');
    const input = this.quickInput.input;
    await this.until(
      'the command palette to open',
      async () => (await input.isVisible()) && (await input.inputValue()).startsWith('>'),
      timeoutMs,
    );
    await input.fill(`>${title}`);
    await this.quickInput.pick(title, timeoutMs);
  }

  /**
   * Right-clicks the tree row whose text matches and returns the labels its context menu offers,
   * leaving the menu open (choose with {@link chooseMenuItem}, close with Escape). The menu is
   * VS Code's own, drawn in the page inside a shadow root, which Playwright's selectors pierce.
   */
  async openContextMenu(rowText: TextMatch, timeoutMs = DEFAULT_TIMEOUT): Promise<string[]> {
    const row = await this.waitForTreeRow(rowText, timeoutMs);
    await row.click({ button: 'right' });
    await this.until(`the context menu of row ${String(rowText)}`, () => this.menuShown(), timeoutMs);
    return this.menuItems();
  }

  /**
   * Clicks `item` in the open context menu and waits for the menu to close. VS Code's menu items
   * take a mouseup only from 100 ms after they render (so that releasing the right button that
   * opened the menu chooses nothing), and a click that came sooner is lost: while the menu stays
   * open, the item is clicked again, as a person would. A click that counts closes the menu at once.
   */
  async chooseMenuItem(item: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    const entry = this.page.locator('.context-view .monaco-menu .action-item a.action-menu-item').filter({
      has: this.page.locator('.action-label', { hasText: textPattern(item) }),
    });
    await this.until(`the context menu to offer "${item}"`, () => entry.isVisible(), timeoutMs);
    const closed = async () => !(await this.menuShown());
    await this.until(
      `the context menu to close after choosing "${item}"`,
      async () => {
        if (await closed()) return true;
        await entry.click({ timeout: 1_000 });
        return waitFor('the context menu to close', closed, 500).catch(() => false);
      },
      timeoutMs,
    );
  }

  /** Right-clicks the tree row whose text matches and chooses `item` in its context menu. */
  async contextMenu(rowText: TextMatch, item: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    await this.openContextMenu(rowText, timeoutMs);
    await this.chooseMenuItem(item, timeoutMs);
  }

  /** Hovers the tree row whose text matches and clicks its inline action (by aria-label, i.e. the command title). */
  async clickInlineAction(rowText: TextMatch, actionTitle: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    const row = await this.waitForTreeRow(rowText, timeoutMs);
    await row.hover();
    const action = row.locator(`.actions .action-label[aria-label=${css(actionTitle)}]`);
    await this.until(
      `the inline action "${actionTitle}" on row ${String(rowText)}`,
      () => action.isVisible(),
      timeoutMs,
    );
    await action.click();
  }

  /**
   * The text of `row`'s tooltip once one containing `text` shows: the pointer goes away and back each
   * time (a row drawn again under a resting pointer shows no hover of its own), then waits out the
   * hover's delay.
   */
  async tooltipOf(row: Locator, text: RegExp, timeoutMs = DEFAULT_TIMEOUT): Promise<string> {
    const hover = this.page.locator('.monaco-hover, .workbench-hover').filter({ hasText: text }).first();
    await this.until(
      `a tooltip ${String(text)}`,
      async () => {
        await this.page.mouse.move(700, 300);
        await row.hover();
        return hover.waitFor({ state: 'visible', timeout: 5_000 }).then(
          () => true,
          () => false,
        );
      },
      timeoutMs,
    );
    return hover.innerText();
  }

  /** Messages of the notification toasts on screen. */
  async notifications(): Promise<string[]> {
    return this.page
      .locator('.notifications-toasts .notification-toast .notification-list-item-message')
      .evaluateAll((nodes: DomNode[]) =>
        nodes.filter((node) => node.checkVisibility()).map((node) => node.textContent ?? ''),
      );
  }

  /** Waits until a notification toast's message matches; returns the toast. */
  async waitForNotification(text: TextMatch, timeoutMs = DEFAULT_TIMEOUT): Promise<Locator> {
    await this.until(
      `a notification ${String(text)}`,
      async () => (await this.notifications()).some((message) => matches(message, text)),
      timeoutMs,
    );
    const message = this.page.locator('.notification-list-item-message', { hasText: textPattern(text) });
    return this.page.locator('.notifications-toasts .notification-toast:visible').filter({ has: message }).first();
  }

  /**
   * Clicks the button `label` of a notification toast on screen (of the one whose message matches
   * `message`, when given), and waits for that toast to close.
   */
  async clickNotificationButton(label: string, message?: TextMatch, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    const button = this.page.locator('.notification-list-item-buttons-container .monaco-button', {
      hasText: textPattern(label),
    });
    const toast =
      message === undefined
        ? this.page.locator('.notifications-toasts .notification-toast:visible').filter({ has: button }).first()
        : await this.waitForNotification(message, timeoutMs);
    await this.until(`a notification with the button "${label}"`, () => toast.locator(button).isVisible(), timeoutMs);
    await toast.locator(button).click();
    await this.until(`the notification to close after "${label}"`, async () => !(await toast.isVisible()), timeoutMs);
  }

  /** Saves a screenshot of the window as test-results/screenshots/NAME.png; returns its path. */
  async screenshot(name: string): Promise<string> {
    const file = path.join(SCREENSHOTS_DIR, `${name}.png`);
    await fs.mkdir(SCREENSHOTS_DIR, { recursive: true });
    await this.page.screenshot({ path: file });
    return file;
  }

  /** What the window shows, in words: side-bar rows, notifications, quick input, dialog, menu. */
  async describe(): Promise<string> {
    const safe = async <T>(read: () => Promise<T>): Promise<T | string> => read().catch((err: Error) => err.message);
    const lines = [
      `tree rows: ${JSON.stringify(await safe(() => this.treeRows()))}`,
      `notifications: ${JSON.stringify(await safe(() => this.notifications()))}`,
      `quick input: ${JSON.stringify(await safe(() => this.quickInput.state()))}`,
      `dialog: ${JSON.stringify(await safe(() => this.dialog.message()))}`,
      `context menu: ${JSON.stringify(await safe(() => this.menuItems()))}`,
    ];
    if (this.pageErrors.length > 0) lines.push(`page errors (last 5): ${JSON.stringify(this.pageErrors.slice(-5))}`);
    return lines.join('\n');
  }

  /**
   * Polls `condition` until it is truthy (and returns it); on timeout, fails with what was awaited
   * and {@link describe}.
   */
  async until<T>(
    what: string,
    condition: () => Promise<T | false | null | undefined>,
    timeoutMs = DEFAULT_TIMEOUT,
  ): Promise<T> {
    try {
      return await waitFor(what, condition, timeoutMs);
    } catch (err) {
      if (err instanceof Error) err.message += `\n${await this.describe()}`;
      throw err;
    }
  }

  private welcomeContent(view: string): Locator {
    // A view's pane holds its header (title = the view's name, hidden when it is the only view) and its body.
    return this.page
      .locator('.part.sidebar .pane')
      .filter({ has: this.page.locator('.pane-header h3.title', { hasText: textPattern(view) }) })
      .locator('.welcome-view-content');
  }

  private treeScope(view?: string): string {
    return view === undefined ? '.part.sidebar' : `.part.sidebar .monaco-list[aria-label=${css(view)}]`;
  }

  private async rowParts(view?: string): Promise<{ label: string; description: string }[]> {
    return this.page.locator(`${this.treeScope(view)} .monaco-list-row`).evaluateAll((rows: DomNode[]) =>
      rows
        .filter((row) => row.checkVisibility())
        .map((row) => ({
          label: row.querySelector('.label-name')?.textContent ?? row.textContent ?? '',
          description: row.querySelector('.label-description')?.textContent ?? '',
        })),
    );
  }

  private async menuShown(): Promise<boolean> {
    return this.page.locator('.context-view .monaco-menu').isVisible();
  }

  private async menuItems(): Promise<string[]> {
    if (!(await this.menuShown())) return [];
    const labels = await this.page.locator('.context-view .monaco-menu .action-item .action-label').allInnerTexts();
    return labels.map((label) => label.trim()).filter((label) => label !== ''); // separators have none
  }
}
