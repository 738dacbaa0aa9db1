import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';

/** A blob the registry serves, by its digest. */
interface Blob {
  type: string;
  body: Buffer;
}

const sha256 = (body: Buffer) => `sha256:${createHash('sha256').update(body).digest('hex')}`;

/** The files of a `docker save` tar (legacy format: manifest.json, <config>.json, <layer>/layer.tar). */
async function savedFiles(tar: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const reader = extract();
  reader.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    body.on('end', () => {
      if (header.type === 'file') files.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    reader.once('finish', resolve).once('error', reject);
    Readable.from([tar]).pipe(reader);
  });
  return files;
}

/**
 * A minimal Docker Registry HTTP API v2 on loopback (Docker takes 127.0.0.0/8 registries as
 * insecure, plain HTTP), serving the one image of a `docker save` tar as `repository:tag`: GET and
 * HEAD of /v2/, of its schema 2 manifest and of its blobs (layers gzipped). `requests` lists every
 * request it saw.
 */
export async function startTinyRegistry(
  saved: Buffer,
  repository: string,
  tag: string,
): Promise<{ port: number; requests: string[]; close(): Promise<void> }> {
  const files = await savedFiles(saved);
  const [entry] = JSON.parse(files.get('manifest.json')?.toString() ?? '[]') as { Config: string; Layers: string[] }[];
  if (!entry) throw new Error('the saved tar has no manifest.json entry');
  const blobs = new Map<string, Blob>();
  const config = files.get(entry.Config) ?? Buffer.alloc(0);
  blobs.set(sha256(config), { type: 'application/vnd.docker.container.image.v1+json', body: config });
  const layers = entry.Layers.map((name) => {
    const body = gzipSync(files.get(name) ?? Buffer.alloc(0));
    const digest = sha256(body);
    blobs.set(digest, { type: 'application/vnd.docker.image.rootfs.diff.tar.gzip', body });
    return { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: body.length, digest };
  });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        size: config.length,
        digest: sha256(config),
      },
      layers,
    }),
  );
  const manifestType = 'application/vnd.docker.distribution.manifest.v2+json';
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    const url = req.url ?? '';
    const send = (type: string, body: Buffer, extra: Record<string, string> = {}) => {
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (url === '/v2/' || url === '/v2') return send('application/json', Buffer.from('{}'));
    const wanted = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url);
    if (
      wanted?.[1] === repository &&
      wanted[2] === 'manifests' &&
      (wanted[3] === tag || wanted[3] === sha256(manifest))
    ) {
      return send(manifestType, manifest, { 'Docker-Content-Digest': sha256(manifest) });
    }
    const blob = wanted?.[1] === repository && wanted[2] === 'blobs' ? blobs.get(wanted[3] ?? '') : undefined;
    if (blob) return send(blob.type, blob.body, { 'Docker-Content-Digest': wanted?.[3] ?? '' });
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'not here' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { port, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
