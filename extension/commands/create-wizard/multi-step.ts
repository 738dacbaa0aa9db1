import * as vscode from 'vscode';
import { activeIndex, type Choice } from './choices';

/** What a step answers when the user pressed Back. */
export const BACK = Symbol('back');

/** A step's outcome: the answer, {@link BACK}, or undefined when the user closed the input. */
export type StepResult<T> = T | typeof BACK | undefined;

/** Common to every step: its title, and whether it offers Back (every step after the first). */
interface Step {
  title: string;
  back: boolean;
}

/**
 * Runs one quick input until it answers: `wire` connects its events and calls `done` with the
 * outcome; hiding it (Escape, focus elsewhere does not count) answers undefined.
 */
function run<T, Q extends vscode.QuickInput & { buttons: readonly vscode.QuickInputButton[] }>(
  input: Q & { onDidTriggerButton: vscode.Event<vscode.QuickInputButton> },
  step: Step,
  wire: (done: (result: StepResult<T>) => void) => vscode.Disposable[],
  shown?: () => void,
): Promise<StepResult<T>> {
  input.title = step.title;
  input.ignoreFocusOut = true;
  input.buttons = step.back ? [vscode.QuickInputButtons.Back] : [];
  return new Promise<StepResult<T>>((resolve) => {
    let settled = false;
    const done = (result: StepResult<T>) => {
      if (settled) return;
      settled = true;
      resolve(result);
      for (const d of disposables) d.dispose();
      input.dispose();
    };
    const disposables = [
      ...wire(done),
      input.onDidTriggerButton((button) => button === vscode.QuickInputButtons.Back && done(BACK)),
      input.onDidHide(() => done(undefined)),
    ];
    input.show();
    shown?.();
  });
}

/** A text step, validated as the user types; Enter on a refused value keeps it open. */
export function askText(
  step: Step & { value: string; prompt: string; validate: (value: string) => string | null },
): Promise<StepResult<string>> {
  const box = vscode.window.createInputBox();
  box.value = step.value;
  box.prompt = step.prompt;
  const check = () => {
    box.validationMessage = box.value ? (step.validate(box.value) ?? undefined) : undefined;
  };
  check();
  return run<string, vscode.InputBox>(box, step, (done) => [
    box.onDidChangeValue(check),
    box.onDidAccept(() => {
      const problem = step.validate(box.value);
      if (problem) box.validationMessage = problem;
      else done(box.value);
    }),
  ]);
}

interface Item<T> extends vscode.QuickPickItem {
  choice: Choice<T>;
}

/**
 * A list step whose items follow what is typed (`choices`); an item with a problem shows why and
 * cannot be taken. `typed` is the text to start with, `previous` the answer to preselect.
 */
export function askPick<T>(
  step: Step & { placeholder: string; choices: (typed: string) => Choice<T>[]; typed?: string; previous?: T },
): Promise<StepResult<T>> {
  const pick = vscode.window.createQuickPick<Item<T>>();
  pick.placeholder = step.placeholder;
  pick.matchOnDescription = true;
  const refresh = () => {
    const choices = step.choices(pick.value);
    const items = choices.map((choice) => ({
      label: choice.label,
      description: choice.description,
      detail: choice.detail,
      alwaysShow: choice.alwaysShow,
      choice,
    }));
    pick.items = items;
    const active = items[activeIndex(choices, pick.value, step.previous)];
    pick.activeItems = active ? [active] : [];
  };
  pick.value = step.typed ?? '';
  refresh();
  return run<T, vscode.QuickPick<Item<T>>>(
    pick,
    step,
    (done) => [
      pick.onDidChangeValue(refresh),
      pick.onDidAccept(() => {
        const item = pick.activeItems[0];
        if (item && !item.choice.problem) done(item.choice.value);
      }),
    ],
    refresh,
  ); // showing makes the first item active: the previous answer is made active again
}
