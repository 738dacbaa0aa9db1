import { setFlagsFromString } from 'node:v8';

/**
 * How far V8's old generation may grow beyond what survived the last full collection before the
 * next one, in percent; V8 otherwise picks a factor by its own measure of speed.
 */
export const HEAP_GROWING_PERCENT = 300;

/**
 * Lets the agent's old generation grow to four times its live size between full collections.
 *
 * The agent's heap is small (some 11 MiB live), and V8 sets the next limit at about twice that: the
 * room left (some 16 MiB) is no more than the young generation's capacity, and then every young
 * collection starts a full one. Streaming (a build's context, a restore) makes little garbage in
 * the heap but many buffers outside it, and V8 collects the young generation for every 32 MiB of
 * them: a full collection of the whole heap every 20 MiB or so streamed. Measured on a 128 MiB
 * build context: 6.5 full collections a build before, 2 after, and a third less of the agent's CPU
 * (BENCHMARKS.md). The price is a heap of up to four times what is live before a full collection.
 * Set at run time (like young-gc.ts's `--expose-gc`): the flag is read each time the limit is set.
 * A `--heap-growing-percent` given to node itself is kept (bench/builds.ts runs an agent with
 * `--heap-growing-percent=0`, V8's own choice, beside one without, for the figures).
 */
export function growHeapBetweenCollections(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg))) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
