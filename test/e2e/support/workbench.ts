import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { waitFor } from '../../support/wait';

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
const DEFAULT_TIMEOUT = 30_000;

/** The little of the DOM that page functions use: the tests' tsconfig has no DOM lib. */
interface DomNode {
  readonly textContent: string | null;
  querySelector(selector: string): DomNode | null;
  checkVisibility(): boolean;
}

/** What a text matcher accepts: the whole text, or a pattern. */
export type TextMatch = string | RegExp;

function matches(text: string, match: TextMatch): boolean {
  return typeof match === 'string' ? text === match : match.test(text);
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
    page.on('console', (message) => {
      if (message.type() === 'error') this.pageErrors.push(message.text());
    });
    page.on('pageerror', (error) => this.pageErrors.push(error.message));
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
    const exactly = (value: string) => new RegExp(`^${escapeRegExp(value)}$`);
    let locator = this.page
      .locator(`${this.treeScope(view)} .monaco-list-row`)
      .filter({ has: this.page.locator('.label-name', { hasText: exactly(row.label) }) });
    if (row.description) {
      locator = locator.filter({ has: this.page.locator('.label-description', { hasText: exactly(row.description) }) });
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

  /** Clicks `item` in the open context menu and waits for the menu to close. */
  async chooseMenuItem(item: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    const entry = this.page.locator('.context-view .monaco-menu .action-item a.action-menu-item').filter({
      has: this.page.locator('.action-label', { hasText: new RegExp(`^${escapeRegExp(item)}$`) }),
    });
    await this.until(`the context menu to offer "${item}"`, () => entry.isVisible(), timeoutMs);
    await entry.click();
    await this.until('the context menu to close', async () => !(await this.menuShown()), timeoutMs);
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
    const index = await this.until(
      `a notification ${String(text)}`,
      async () => {
        const found = (await this.notifications()).findIndex((message) => matches(message, text));
        return found >= 0 ? found + 1 : false;
      },
      timeoutMs,
    );
    return this.page.locator('.notifications-toasts .notification-toast:visible').nth(index - 1);
  }

  /**
   * Clicks the button `label` of a notification toast on screen (of the one whose message matches
   * `message`, when given), and waits for that toast to close.
   */
  async clickNotificationButton(label: string, message?: TextMatch, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    const button = this.page.locator('.notification-list-item-buttons-container .monaco-button', {
      hasText: new RegExp(`^${escapeRegExp(label)}$`),
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
      throw new Error(`${(err as Error).message}\n${await this.describe()}`, { cause: err });
    }
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

/** The quick input widget: the command palette, showInputBox and showQuickPick. */
export class QuickInput {
  constructor(private readonly workbench: Workbench) {}

  private get widget(): Locator {
    return this.workbench.page.locator('.quick-input-widget');
  }

  /** Its text box. */
  get input(): Locator {
    return this.widget.locator('.quick-input-box input');
  }

  /** Waits until the quick input's title or its prompt (the message under the box) contains `text`. */
  async waitForTitleOrPrompt(text: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    await this.workbench.until(
      `a quick input titled or prompting "${text}"`,
      async () => {
        const state = await this.state();
        return state !== null && (state.title.includes(text) || state.prompt.includes(text));
      },
      timeoutMs,
    );
  }

  /** Types `text` into the open quick input (replacing what is there) and presses Enter. */
  async typeAndEnter(text: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    await this.workbench.until('a quick input to type into', () => this.input.isVisible(), timeoutMs);
    await this.input.fill(text);
    await this.input.press('Enter');
    await this.workbench.until(
      `the quick input to take "${text}"`,
      async () => !(await this.widget.isVisible()) || (await this.input.inputValue()) !== text,
      timeoutMs,
    );
  }

  /** Clicks the item whose label is `label` in the open QuickPick (or palette). */
  async pick(label: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    const item = this.widget
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: this.workbench.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) })
      .first();
    await this.workbench.until(`the quick pick item "${label}"`, () => item.isVisible(), timeoutMs);
    await item.click();
  }

  /** Closes the quick input when it is open. */
  async close(timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    if (!(await this.widget.isVisible())) return;
    await this.input.press('Escape');
    await this.workbench.until('the quick input to close', async () => !(await this.widget.isVisible()), timeoutMs);
  }

  /** Title, prompt, value and item labels of the open quick input; null when none is open. */
  async state(): Promise<{ title: string; prompt: string; value: string; items: string[] } | null> {
    if (!(await this.widget.isVisible())) return null;
    const text = async (selector: string) => {
      const node = this.widget.locator(selector).first();
      return (await node.isVisible()) ? (await node.innerText()).trim() : '';
    };
    return {
      title: await text('.quick-input-title'),
      prompt: await text('.quick-input-message'),
      value: await this.input.inputValue(),
      items: await this.widget.locator('.quick-input-list .monaco-list-row .label-name').allInnerTexts(),
    };
  }
}

/**
 * Modal dialogs. code-server draws them in the page (`.monaco-dialog-box`), not as native windows,
 * so a test answers them by clicking their buttons.
 */
export class Dialog {
  constructor(private readonly workbench: Workbench) {}

  private get box(): Locator {
    return this.workbench.page.locator('.monaco-dialog-box');
  }

  /** The open dialog's message and detail, or null when none is open. */
  async message(): Promise<string | null> {
    if (!(await this.box.isVisible())) return null;
    const parts = await this.box.locator('.dialog-message-text, .dialog-message-detail').allInnerTexts();
    return parts.join('\n');
  }

  /** Waits until a dialog whose message (or detail) matches is open. */
  async waitFor(text: TextMatch, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    await this.workbench.until(
      `a dialog ${String(text)}`,
      async () => {
        const message = await this.message();
        return message !== null && message.split('\n').some((line) => matches(line, text));
      },
      timeoutMs,
    );
  }

  /** Clicks the open dialog's button `label` and waits for the dialog to close. */
  async click(label: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    const button = this.box.locator('.dialog-buttons .monaco-button', {
      hasText: new RegExp(`^${escapeRegExp(label)}$`),
    });
    await this.workbench.until(`a dialog with the button "${label}"`, () => button.isVisible(), timeoutMs);
    await button.click();
    await this.workbench.until(
      `the dialog to close after "${label}"`,
      async () => !(await this.box.isVisible()),
      timeoutMs,
    );
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
