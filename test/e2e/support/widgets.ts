import type { Locator, Page } from 'playwright-core';

/** How long a helper waits for what it awaits, unless told otherwise. */
export const DEFAULT_TIMEOUT = 30_000;

/** What a text matcher accepts: the whole text, or a pattern. */
export type TextMatch = string | RegExp;

/** Whether `text` matches: all of it for a string, a search for a pattern. */
export function matches(text: string, match: TextMatch): boolean {
  return typeof match === 'string' ? text === match : match.test(text);
}

/** A pattern for Playwright's `hasText`: a string must match the whole text. */
export function textPattern(text: TextMatch): RegExp {
  return typeof text === 'string' ? new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : text;
}

/** What the widgets need of the workbench: its page, and waits that describe the window on timeout. */
export interface Driver {
  readonly page: Page;
  until<T>(what: string, condition: () => Promise<T | false | null | undefined>, timeoutMs?: number): Promise<T>;
}

/** The quick input widget: the command palette, showInputBox and showQuickPick. */
export class QuickInput {
  constructor(private readonly workbench: Driver) {}

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
      .filter({ has: this.workbench.page.locator('.label-name', { hasText: textPattern(label) }) })
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
  constructor(private readonly workbench: Driver) {}

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
      hasText: textPattern(label),
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
