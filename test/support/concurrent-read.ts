import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** What a concurrent reader saw: how many reads it made, and the reads that matched no whole version. */
export interface ReadsSeen {
  reads: number;
  /** Lengths and first lines of the reads that were neither the file as it was nor as it was written. */
  torn: string[];
}

// Plain JavaScript, so the worker needs no TypeScript loader. It reads in a tight loop on its own
// thread (truly alongside the writer) until told to stop, and reports every read it did not expect.
const READER = `
const { readFileSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const { file, stop, versions } = workerData;
const flag = new Int32Array(stop);
const torn = [];
let reads = 0;
Atomics.store(flag, 1, 1);
while (Atomics.load(flag, 0) === 0) {
  const text = readFileSync(file, 'utf8');
  reads++;
  if (!versions.includes(text) && torn.length < 10) torn.push(text.length + ': ' + text.split('\\n')[0]);
}
parentPort.postMessage({ reads, torn });
`;

/**
 * Reads `file` in a tight loop on another thread while `rewrite` runs, and reports the reads that
 * were not one of the whole `versions` (the texts `rewrite` writes; the file's text before it starts
 * counts as one too).
 */
export async function readWhileRewriting(
  file: string,
  versions: readonly string[],
  rewrite: () => Promise<void>,
): Promise<ReadsSeen> {
  const stop = new SharedArrayBuffer(8);
  const flag = new Int32Array(stop);
  const known = [readFileSync(file, 'utf8'), ...versions];
  const worker = new Worker(READER, { eval: true, workerData: { file, stop, versions: known } });
  const report = new Promise<ReadsSeen>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  // Start rewriting only once the reader runs, so the two really overlap.
  while (Atomics.load(flag, 1) === 0) await new Promise((resolve) => setImmediate(resolve));
  try {
    await rewrite();
  } finally {
    Atomics.store(flag, 0, 1);
  }
  const seen = await report;
  await worker.terminate();
  return seen;
}
