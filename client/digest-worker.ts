import { Worker } from 'node:worker_threads';

/**
 * The worker's code, as text (evaluated: the client is one bundled file, so there is no module of its
 * own to start): it reads each file of `workerData` in 1 MiB reads, hashes it (SHA-256) and posts
 * `{ digest, readAtMs }` (or `{ error }`) for it, in order.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createReadStream } = require('node:fs');
const { createHash } = require('node:crypto');
(async () => {
  for (const file of workerData) {
    const readAtMs = Date.now();
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk);
    parentPort.postMessage({ digest: hash.digest('hex'), readAtMs });
  }
})().catch((err) => parentPort.postMessage({ error: String(err && err.message ? err.message : err) }));
`;

/** A file's digest as the worker gives it, with the wall-clock time its reading began. */
export interface WorkerDigest {
  digest: string;
  readAtMs: number;
}

/**
 * SHA-256 (hex) of each of `files`, in order, read and hashed on a thread of its own, so that hashing
 * a big context runs beside the upload that streams it (client/build-send.ts) instead of taking
 * turns with it on the client's one thread. Rejects with the first file that cannot be read.
 */
export function digestsOnWorker(files: readonly string[], signal?: AbortSignal): Promise<WorkerDigest[]> {
  return new Promise((resolve, reject) => {
    const digests: WorkerDigest[] = [];
    if (!files.length) return resolve(digests);
    if (signal?.aborted) return reject(new Error('the hashing was stopped'));
    const worker = new Worker(WORKER, { eval: true, workerData: files });
    const stop = () => {
      reject(new Error('the hashing was stopped'));
      void worker.terminate();
    };
    signal?.addEventListener('abort', stop, { once: true });
    const settle = () => signal?.removeEventListener('abort', stop);
    worker.on('message', (message: WorkerDigest | { error: string }) => {
      if ('error' in message) {
        settle();
        reject(new Error(`could not read ${files[digests.length] ?? 'a file'} to hash it: ${message.error}`));
        void worker.terminate();
        return;
      }
      digests.push(message);
      if (digests.length === files.length) {
        settle();
        resolve(digests);
        void worker.terminate();
      }
    });
    worker.once('error', (err) => {
      settle();
      reject(err);
    });
    worker.once('exit', (code) => {
      settle();
      if (digests.length < files.length) reject(new Error(`the hashing thread ended early (exit code ${code})`));
    });
  });
}
