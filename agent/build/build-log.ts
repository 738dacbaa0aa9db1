import type { Readable } from 'node:stream';
import { BerthError } from '../../protocol';

/** An image id as Docker's build log gives it. */
const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

/** Lines of a failing step's output kept for the error (the whole log streams to the client anyway). */
const KEPT_LINES = 40;

/**
 * Reads Docker's build response (JSON objects, one per line: `stream` text, `error`/`errorDetail`,
 * `aux`), passes the text on as it comes, and keeps the current step's output so that a failure can
 * say which step failed and what it printed.
 */
export class BuildLog {
  private rest = '';
  private step = '';
  private output: string[] = [];
  private failure: BerthError | null = null;
  /**
   * The image the build made, from Docker's own `aux` message (never from the text: a RUN step can
   * print "Successfully built" followed by another image's id).
   */
  imageId: string | null = null;

  constructor(private readonly onLog: (text: string) => void) {}

  /** Resolves when the response has ended; rejects with the build's failure, if any. */
  async read(response: Readable, signal: AbortSignal): Promise<void> {
    for await (const chunk of response) {
      if (signal.aborted) break;
      this.rest += (chunk as Buffer).toString('utf8');
      const lines = this.rest.split('\n');
      this.rest = lines.pop() ?? '';
      for (const line of lines) this.line(line);
    }
    if (this.rest.trim()) this.line(this.rest);
    if (this.failure) throw this.failure;
  }

  private line(line: string): void {
    if (!line.trim()) return;
    let message: { stream?: unknown; error?: unknown; errorDetail?: { message?: unknown }; aux?: { ID?: unknown } };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      return this.text(`${line}\n`);
    }
    if (typeof message.stream === 'string') this.text(message.stream);
    if (typeof message.aux?.ID === 'string' && IMAGE_ID.test(message.aux.ID)) this.imageId = message.aux.ID;
    const error = message.errorDetail?.message ?? message.error;
    if (typeof error === 'string' && !this.failure) {
      this.onLog(`${error}\n`);
      this.failure = this.fail(error);
    }
  }

  private text(text: string): void {
    this.onLog(text);
    // Docker colours some lines (ANSI escapes): the kept output is plain text.
    // eslint-disable-next-line no-control-regex
    for (const line of text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').split('\n')) {
      const step = /^Step (\d+\/\d+) : (.*)$/.exec(line.trim());
      if (step) {
        this.step = `step ${step[1] ?? ''} (${(step[2] ?? '').slice(0, 200)})`;
        this.output = [];
      } else if (line.trim() && !/^ ---> /.test(line)) {
        this.output.push(line);
        if (this.output.length > KEPT_LINES) this.output.shift();
      }
    }
  }

  private fail(error: string): BerthError {
    const last = this.output
      .filter((line) => !/^(Removing intermediate container|Running in) /.test(line.trim()))
      .pop();
    const where = this.step ? ` at ${this.step}` : '';
    const tail = last && last.trim() !== error.trim() ? ` (last output: ${last.trim().slice(0, 300)})` : '';
    return new BerthError(
      'runtime_error',
      `the build failed${where}: ${error.trim()}${tail}; fix the Dockerfile and build again`,
      {
        step: this.step || null,
        output: this.output.join('\n'),
      },
    );
  }
}
