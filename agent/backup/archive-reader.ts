import { createHash } from 'node:crypto';
import { ArchiveError, BackupInfo, INFO_NAME, MANIFEST_BYTES, MANIFEST_NAME, MAX_INFO_BYTES, Manifest } from './format';
import { HoldBack } from './hold-back';
import { BLOCK, END_BYTES, padding, readFileHeader } from './tar';

/** The manifest's header, its padded JSON and the end blocks: what closes every backup. */
const TRAILER_BYTES = BLOCK + MANIFEST_BYTES + END_BYTES;

/**
 * Reads a Berth backup as it streams in (see format.ts) and checks all of it: the headers, backup.json
 * against its schema, and at the end the manifest's sizes and sha256s. `onInfo` gets backup.json
 * (before it is verified: act on it only in ways that {@link end} failing can undo); `onHome` gets
 * the home's tar bytes in order. Every fault is an {@link ArchiveError} saying what is wrong.
 * Holds at most one chunk and the trailer's 2.5 KiB, and copies none.
 */
export class ArchiveReader {
  private head: Buffer = Buffer.alloc(0);
  private info: { value: BackupInfo; bytes: number; sha256: string; end: number } | null = null;
  /** The trailer (manifest and end blocks), held back as the home's bytes pass. */
  private readonly held = new HoldBack(TRAILER_BYTES);
  private readonly homeHash = createHash('sha256');
  private homeBytes = 0;
  /** Bytes seen in all. */
  received = 0;

  constructor(
    private readonly onInfo: (info: BackupInfo) => void,
    private readonly onHome: (bytes: Buffer) => void,
  ) {}

  /** Takes the next bytes of the file. */
  push(chunk: Buffer): void {
    this.received += chunk.length;
    if (!this.info) {
      this.head = Buffer.concat([this.head, chunk]);
      const rest = this.readInfo();
      if (rest === null) return;
      chunk = rest;
    }
    for (const part of this.held.push(chunk)) this.home(part);
  }

  /**
   * Checks the end of the file against the manifest; returns backup.json, verified. The home's last
   * bytes go to `onHome` first (what was held back in case it was the trailer).
   */
  end(): BackupInfo {
    if (!this.info) {
      throw new ArchiveError(`the file ends after ${this.received} bytes, inside berth/backup.json: it is truncated`);
    }
    const { rest, last: tail } = this.held.end();
    if (rest.length) this.home(rest);
    if (tail.length < TRAILER_BYTES) {
      throw new ArchiveError(`the file ends after ${this.received} bytes, before its manifest: it is truncated`);
    }
    const header = readFileHeader(tail.subarray(0, BLOCK));
    if (typeof header === 'string' || header.name !== MANIFEST_NAME || header.size !== MANIFEST_BYTES) {
      throw new ArchiveError(`no ${MANIFEST_NAME} at the end of the file: it is truncated or not a Berth backup`);
    }
    if (tail.subarray(BLOCK + MANIFEST_BYTES).some((byte) => byte !== 0)) {
      throw new ArchiveError('the tar end blocks after the manifest are not zero: the file is corrupted');
    }
    let manifest: Manifest;
    try {
      manifest = Manifest.parse(JSON.parse(tail.toString('utf8', BLOCK, BLOCK + MANIFEST_BYTES)));
    } catch {
      throw new ArchiveError(`${MANIFEST_NAME} is not a valid manifest: the file is corrupted`);
    }
    const { info } = this;
    if (manifest.info.bytes !== info.bytes || manifest.info.sha256 !== info.sha256) {
      throw new ArchiveError(
        `${INFO_NAME} has sha256 ${info.sha256} (${info.bytes} bytes), the manifest says ${manifest.info.sha256} (${manifest.info.bytes} bytes): the file is corrupted`,
      );
    }
    const homeSha = this.homeHash.digest('hex');
    if (manifest.home.offset !== info.end || manifest.home.bytes !== this.homeBytes) {
      throw new ArchiveError(
        `the home's files take ${this.homeBytes} bytes at offset ${info.end}, the manifest says ${manifest.home.bytes} at ${manifest.home.offset}: the file is truncated or corrupted`,
      );
    }
    if (manifest.home.sha256 !== homeSha) {
      throw new ArchiveError(
        `the home's files have sha256 ${homeSha}, the manifest says ${manifest.home.sha256}: the file is corrupted`,
      );
    }
    return info.value;
  }

  private home(bytes: Buffer): void {
    this.homeHash.update(bytes);
    this.homeBytes += bytes.length;
    this.onHome(bytes);
  }

  /** Parses backup.json once all of it is here; returns the bytes after it, or null while more is needed. */
  private readInfo(): Buffer | null {
    if (this.head.length < BLOCK) return null;
    const header = readFileHeader(this.head.subarray(0, BLOCK));
    if (typeof header === 'string') {
      throw new ArchiveError(`${header} at the start of the file: it is not a Berth backup`);
    }
    if (header.name !== INFO_NAME) {
      throw new ArchiveError(`the file starts with "${header.name}", not ${INFO_NAME}: it is not a Berth backup`);
    }
    if (header.size > MAX_INFO_BYTES) {
      throw new ArchiveError(`${INFO_NAME} is ${header.size} bytes, more than a backup's can be`);
    }
    const end = BLOCK + header.size + padding(header.size);
    if (this.head.length < end) return null;
    const json = this.head.subarray(BLOCK, BLOCK + header.size);
    let value: BackupInfo;
    try {
      value = BackupInfo.parse(JSON.parse(json.toString('utf8')));
    } catch {
      throw new ArchiveError(
        `${INFO_NAME} is not a valid backup description: the file is corrupted or from another program`,
      );
    }
    const sha256 = createHash('sha256').update(json).digest('hex');
    this.info = { value, bytes: header.size, sha256, end };
    const rest = Buffer.from(this.head.subarray(end));
    this.head = Buffer.alloc(0);
    this.onInfo(value);
    return rest;
  }
}
