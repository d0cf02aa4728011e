// Capture files on the local disk, content-addressed: files/<sha256>. An upload is written
// to tmp/<random>.part, fsynced, then renamed into place, so a crash leaves either nothing
// or a complete file under its final name (and a .part file that startup deletes). The
// server computes the sha256 itself; a client's file name never becomes a path.
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobStore, BlobUpload } from './Store.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

function checkedSha256(sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw new Error('not a sha256 digest');
  return sha256;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export class FileBlobStore implements BlobStore {
  private readonly filesDir: string;
  private readonly tmpDir: string;

  constructor(dataDir: string) {
    this.filesDir = join(dataDir, 'files');
    this.tmpDir = join(dataDir, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.filesDir, { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
  }

  private pathOf(sha256: string): string {
    return join(this.filesDir, checkedSha256(sha256));
  }

  async createUpload(): Promise<BlobUpload> {
    const tmpPath = join(this.tmpDir, `${randomBytes(16).toString('hex')}.part`);
    const handle = await open(tmpPath, 'wx', 0o600);
    return new FileUpload(handle, tmpPath, (sha256) => this.pathOf(sha256), this.filesDir);
  }

  async has(sha256: string): Promise<boolean> {
    return isFile(this.pathOf(sha256));
  }

  open(sha256: string): Readable {
    return createReadStream(this.pathOf(sha256), { highWaterMark: 4 * 1024 * 1024 });
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  async cleanTemporary(): Promise<void> {
    for (const name of await readdir(this.tmpDir)) {
      if (name.endsWith('.part')) await rm(join(this.tmpDir, name), { force: true });
    }
  }
}

class FileUpload implements BlobUpload {
  private closed = false;

  constructor(
    private readonly handle: FileHandle,
    private readonly tmpPath: string,
    private readonly finalPath: (sha256: string) => string,
    private readonly filesDir: string,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    let written = 0;
    while (written < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, written, chunk.length - written);
      written += bytesWritten;
    }
  }

  async commit(sha256: string): Promise<void> {
    const finalPath = this.finalPath(sha256);
    if (await isFile(finalPath)) {
      await this.abort();
      return;
    }
    await this.handle.sync();
    await this.close();
    await rename(this.tmpPath, finalPath);
    // The rename is durable only once the directory entry is.
    const dir = await open(this.filesDir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  async abort(): Promise<void> {
    await this.close();
    await rm(this.tmpPath, { force: true });
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}
