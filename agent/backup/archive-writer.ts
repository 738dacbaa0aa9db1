import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ArchiveError, INFO_NAME, MANIFEST_BYTES, MANIFEST_NAME, type BackupInfo, type Manifest } from './format';
import { HoldBack } from './hold-back';
import { BLOCK, END_BYTES, fileHeader, padding } from './tar';

/**
 * Turns Docker's tar stream of a home into a Berth backup (see format.ts): backup.json first, the
 * home's bytes passed through as they come (only Docker's closing zero blocks held back and
 * dropped), then the manifest and the end blocks. Nothing is buffered beyond one chunk and 1 KiB, and
 * nothing is copied.
 */
export class ArchiveWriter extends Transform {
  private readonly homeHash: Hash = createHash('sha256');
  private homeBytes = 0;
  /** Docker's closing zero blocks, held back as the rest passes. */
  private readonly home = new HoldBack(END_BYTES);
  private readonly infoBytes: number;
  private readonly infoSha: string;

  constructor(info: BackupInfo, now = new Date()) {
    super();
    const json = Buffer.from(`${JSON.stringify(info, null, 2)}\n`);
    this.infoBytes = json.length;
    this.infoSha = createHash('sha256').update(json).digest('hex');
    this.push(
      Buffer.concat([fileHeader(INFO_NAME, json.length, 0o600, now), json, Buffer.alloc(padding(json.length))]),
    );
    this.now = now;
  }

  private readonly now: Date;

  /** Where the home's bytes begin in the file. */
  get homeOffset(): number {
    return BLOCK + this.infoBytes + padding(this.infoBytes);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    for (const part of this.home.push(chunk)) this.pass(part);
    done();
  }

  override _flush(done: TransformCallback): void {
    const { rest, last } = this.home.end();
    if (last.length !== END_BYTES || last.some((byte) => byte !== 0) || (this.homeBytes + rest.length) % BLOCK !== 0) {
      return done(new ArchiveError("Docker's archive of the home did not end as a tar does; the backup is incomplete"));
    }
    if (rest.length) this.pass(rest);
    const manifest: Manifest = {
      format: 'berth-backup-manifest',
      version: 1,
      info: { bytes: this.infoBytes, sha256: this.infoSha },
      home: { offset: this.homeOffset, bytes: this.homeBytes, sha256: this.homeHash.digest('hex') },
    };
    const text = Buffer.alloc(MANIFEST_BYTES, ' ');
    text.write(JSON.stringify(manifest));
    text.write('\n', MANIFEST_BYTES - 1);
    this.push(
      Buffer.concat([fileHeader(MANIFEST_NAME, MANIFEST_BYTES, 0o644, this.now), text, Buffer.alloc(END_BYTES)]),
    );
    done();
  }

  private pass(bytes: Buffer): void {
    this.homeHash.update(bytes);
    this.homeBytes += bytes.length;
    this.push(bytes);
  }
}
