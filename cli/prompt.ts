import * as readline from 'node:readline/promises';

/** Asks `question` on stderr and returns the line typed on stdin, trimmed. */
export async function ask(question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** Whether the answer to `question` is exactly `expected` (a name typed back, or `y`). */
export async function confirm(question: string, expected: string): Promise<boolean> {
  return (await ask(question)) === expected;
}
