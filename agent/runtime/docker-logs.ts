import type Docker from 'dockerode';
import { LogDemuxer } from './demux';
import { runtimeError, statusCode } from './docker-errors';

/** The last `tail` lines of a container's output ('' when it is gone). */
export async function readLogs(container: Docker.Container, tail: number): Promise<string> {
  try {
    const buffer = await container.logs({ stdout: true, stderr: true, tail, follow: false });
    return new LogDemuxer().push(buffer);
  } catch (err) {
    if (statusCode(err) === 404) return '';
    throw runtimeError('read the logs', err);
  }
}

/** Streams a container's output through `onText` until it stops, the stream breaks or `signal` aborts. */
export async function followLogs(
  container: Docker.Container,
  tail: number,
  onText: (text: string) => void,
  signal: AbortSignal,
): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await container.logs({ stdout: true, stderr: true, tail, follow: true });
  } catch (err) {
    if (statusCode(err) === 404) return;
    throw runtimeError('follow the logs', err);
  }
  const destroy = () => (stream as unknown as { destroy(): void }).destroy();
  if (signal.aborted) {
    destroy();
    return;
  }
  const demuxer = new LogDemuxer();
  await new Promise<void>((resolve) => {
    const stop = () => {
      signal.removeEventListener('abort', stop);
      destroy();
      resolve();
    };
    signal.addEventListener('abort', stop, { once: true });
    stream.on('data', (chunk: Buffer) => {
      const text = demuxer.push(chunk);
      if (text) onText(text);
    });
    stream.on('end', stop);
    stream.on('error', stop);
    stream.on('close', stop);
  });
}
