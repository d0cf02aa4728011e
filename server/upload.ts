// Receiving an uploaded capture: multipart/form-data (field "file", through busboy) or the
// raw file as the body (name in X-File-Name). The bytes stream to a temporary file while
// their sha256 is computed; they are never held whole in memory. The first bytes are sniffed
// (inflated first when gzip) so a file that is no capture is refused at once, and a file
// over the size limit is refused as soon as it crosses it; either way nothing is kept.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import busboy from 'busboy';
import { describeNonCapture, sniffCaptureFormat } from '../src/capture/sniff.js';
import type { BlobStore, BlobUpload } from './store/Store.js';

/** A refused upload: HTTP status and a reason for the client. */
export class UploadError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface ReceivedFile {
  name: string;
  size: number;
  sha256: string;
}

/** Bytes gathered before sniffing: the magic numbers need 4, the guess at what else a file is a few more. */
const SNIFF_HEAD_BYTES = 64;
/** Compressed bytes gathered before inflating the head of a gzip upload (a gzip header alone is 10+ bytes). */
const GZIP_HEAD_BYTES = 4096;
/** Room for the multipart boundaries and part headers around the file. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
/** Longest file name kept (it is metadata only). */
const MAX_NAME_LENGTH = 200;

/** A client's file name reduced to something safe to show: no directories, no control characters. */
export function cleanFileName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, MAX_NAME_LENGTH);
  return clean.length > 0 && clean !== '.' && clean !== '..' ? clean : 'upload';
}

/** Null when `head` (the file's first bytes) starts a capture, else why it does not. */
export function whyNotCapture(head: Buffer): string | null {
  const format = sniffCaptureFormat(head);
  if (format === null) return describeNonCapture(head);
  if (format !== 'gzip') return null;
  let inflated: Buffer;
  try {
    // Z_SYNC_FLUSH: inflate what there is without demanding the end of the stream.
    inflated = gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch (e) {
    return `not a capture file: gzip data that cannot be inflated (${(e as Error).message})`;
  }
  const format2 = sniffCaptureFormat(inflated);
  if (format2 === null || format2 === 'gzip') return `not a capture file: gzip-compressed data whose content ${describeNonCapture(inflated).replace(/^not a capture file: /, '')}`;
  return null;
}

/** Consumes one file stream into a temporary blob, hashing, counting and sniffing on the way. */
class CaptureSink {
  private readonly hash = createHash('sha256');
  private size = 0;
  private head: Buffer[] = [];
  private headLength = 0;
  private sniffed = false;

  constructor(private readonly upload: BlobUpload, private readonly maxBytes: number) {}

  async write(chunk: Buffer): Promise<void> {
    this.size += chunk.length;
    if (this.size > this.maxBytes) throw new UploadError(413, `the file is larger than the limit of ${this.maxBytes} bytes`);
    this.hash.update(chunk);
    if (!this.sniffed) {
      this.head.push(chunk);
      this.headLength += chunk.length;
      const needed = this.headLength >= 2 && this.head[0]![0] === 0x1f ? GZIP_HEAD_BYTES : SNIFF_HEAD_BYTES;
      if (this.headLength >= needed) this.sniff();
    }
    await this.upload.write(chunk);
  }

  private sniff(): void {
    this.sniffed = true;
    const reason = whyNotCapture(Buffer.concat(this.head));
    this.head = [];
    if (reason !== null) throw new UploadError(415, reason);
  }

  async end(name: string): Promise<ReceivedFile> {
    if (!this.sniffed) this.sniff();
    const sha256 = this.hash.digest('hex');
    await this.upload.commit(sha256);
    return { name, size: this.size, sha256 };
  }
}

/**
 * Feeds a stream to `sink` chunk by chunk with backpressure (the stream is paused while a
 * chunk is written). When the sink refuses a chunk, the rest of the stream is read and
 * dropped, so the client can still read the refusal.
 */
function pump(stream: Readable, request: IncomingMessage, write: (chunk: Buffer) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed = false;
    let writing: Promise<void> = Promise.resolve();
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      stream.resume();
      reject(e);
    };
    stream.on('data', (chunk: Buffer) => {
      if (failed) return;
      stream.pause();
      writing = write(chunk).then(() => {
        if (!failed) stream.resume();
      }, fail);
    });
    // 'end' can come before the last write has settled: wait for it.
    stream.once('end', () => {
      void writing.then(() => {
        if (!failed) resolve();
      });
    });
    stream.once('error', (e) => fail(new UploadError(400, `upload interrupted: ${e.message}`)));
    request.once('close', () => {
      if (!request.complete) fail(new UploadError(400, 'upload interrupted'));
    });
  });
}

async function receiveStream(stream: Readable, request: IncomingMessage, name: string, blobs: BlobStore, maxBytes: number): Promise<ReceivedFile> {
  const upload = await blobs.createUpload();
  const sink = new CaptureSink(upload, maxBytes);
  try {
    await pump(stream, request, (chunk) => sink.write(chunk));
    return await sink.end(name);
  } catch (e) {
    await upload.abort();
    throw e;
  }
}

function receiveMultipart(request: IncomingMessage, blobs: BlobStore, maxBytes: number): Promise<ReceivedFile> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        // One byte over the limit is enough for the sink to notice.
        limits: { files: 1, fileSize: maxBytes + 1, fields: 16, fieldSize: 4096, parts: 32 },
      });
    } catch (e) {
      reject(new UploadError(400, `malformed multipart request: ${(e as Error).message}`));
      return;
    }
    let task: Promise<ReceivedFile> | null = null;
    parser.on('file', (field, stream, info) => {
      if (field !== 'file' || task !== null) {
        stream.resume();
        return;
      }
      task = receiveStream(stream, request, cleanFileName(info.filename), blobs, maxBytes);
      task.then(resolve, reject);
    });
    parser.on('close', () => {
      if (task === null) reject(new UploadError(400, 'no file in the multipart field "file"'));
    });
    parser.on('error', (e) => reject(new UploadError(400, `malformed multipart body: ${(e as Error).message}`)));
    // Cut off before the file part began (busboy is told nothing then); once it has, pump() notices.
    request.once('close', () => {
      if (!request.complete && task === null) reject(new UploadError(400, 'upload interrupted'));
    });
    request.pipe(parser);
  });
}

/** Receives the upload of `request` into the blob store; rejects with an UploadError when refused. */
export async function receiveUpload(request: IncomingMessage, blobs: BlobStore, maxBytes: number): Promise<ReceivedFile> {
  const declared = Number(request.headers['content-length']);
  const contentType = request.headers['content-type'] ?? '';
  const multipart = /^multipart\/form-data/i.test(contentType);
  if (Number.isFinite(declared) && declared > maxBytes + (multipart ? MULTIPART_OVERHEAD_BYTES : 0)) {
    throw new UploadError(413, `the upload (${declared} bytes) is larger than the limit of ${maxBytes} bytes`);
  }
  if (multipart) return receiveMultipart(request, blobs, maxBytes);
  const header = request.headers['x-file-name'];
  let name: string | undefined;
  try {
    name = typeof header === 'string' ? decodeURIComponent(header) : undefined;
  } catch {
    name = header as string;
  }
  return receiveStream(request, request, cleanFileName(name), blobs, maxBytes);
}
