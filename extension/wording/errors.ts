/** Agent and client error messages in the words of a VS Code user, free of `vscode` so they are unit-tested. */

/** A clause that tells the reader to run a CLI command, pass an option or set an environment variable. */
const CLI = /\bberth [a-z]|(?:^|\s)--[a-z][\w-]*|\bBERTH_[A-Z_]+\b/;

/**
 * `message` without its advice meant for the command line: `(berth start web)` asides and clauses such
 * as `; raise it with berth update` or `Set --url or BERTH_URL` go; the facts stay. A VS Code user has
 * the tree's commands for that advice.
 */
export function forVsCode(message: string): string {
  const text = message
    .replace(/"berth serve"/g, 'the Berth agent')
    .replace(/\s*\([^()]*\)/g, (aside) => (CLI.test(aside) ? '' : aside));
  // Clauses end at `;`, `:` before a command, or a sentence end; a clause giving CLI advice is left out.
  const clauses = text.split(/(?<=[;?!]|\.(?=\s)|:(?=\s*berth\s))\s+/);
  const kept: string[] = [];
  for (const clause of clauses) {
    if (!CLI.test(clause)) kept.push(clause);
    // `create one with:` says nothing once its command is gone.
    else if (kept.at(-1)?.endsWith(':')) kept.pop();
  }
  const joined = (kept.length ? kept : [text]).join(' ').trim();
  return joined.replace(/[;:,]\s*$/, '');
}

/** Advice for an error code, where a VS Code user has a command for it. */
const ADVICE: Partial<Record<string, string>> = {
  unauthorized: 'Use "Berth: Reconnect Host" to enter a new token.',
};

/**
 * The one line an error notification shows: `Could not <action>: <message>.` and, for the codes that
 * have it, advice as a sentence of its own. Advice belongs to its code only: a `conflict` about a
 * stopped workspace is not told "another operation is running".
 */
export function errorText(action: string, code: string, message: string): string {
  const words = forVsCode(message);
  const sentence = /[.!?]$/.test(words) ? words : `${words}.`;
  const advice = ADVICE[code];
  return `Could not ${action}: ${sentence}${advice && !words.includes(advice) ? ` ${advice}` : ''}`;
}
