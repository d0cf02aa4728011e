// Reading a whole capture from a file or a stream: large chunks, gzip detected by its magic
// (1f 8b, RFC 1952 section 2.3.1) and inflated as a stream, so neither the compressed nor
// the inflated file is ever held whole.
import { open, type FileHandle } from 'node:fs/promises';
import type { CaptureInfo } from '../model.js';
import type { CaptureHandlers } from './record-reader.js';
import { GzipInflater } from './gzip.js';
import { CaptureParser, PROGRESS_STEP } from './parser.js';
import { CaptureFormatError } from './sniff.js';

/** Read size for files. */
const READ_CHUNK_BYTES = 4 * 1024 * 1024;

type Source = string | NodeJS.ReadableStream | AsyncIterable<Buffer>;

/**
 * Reads a capture file (path) or byte stream to the end. Packets and warnings go to the
 * handlers as they are parsed; `progress` counts bytes of the source (compressed bytes for
 * gzip), so it compares with the file size. Rejects with CaptureFormatError when the input
 * (after inflating, for gzip) is not a capture; a corrupt gzip stream only warns.
 */
export async function readCapture(source: Source, h: CaptureHandlers): Promise<CaptureInfo> {
  if (typeof source === 'string') return readFile(source, h);
  return readChunks(bufferChunks(source as AsyncIterable<Buffer | string | Uint8Array>)[Symbol.asyncIterator](), h);
}

/**
 * A file is read into two buffers in turn: while the parser works through one, the next read
 * fills the other (the copy from the page cache runs on libuv's thread pool, beside the
 * parsing, instead of before it). The parser copies what it keeps (a record cut by the end
 * of a read) and packets are views valid only during their callback, so a buffer is free to
 * refill once it has been pushed; fresh 4 MiB buffers per read would cost an allocation each
 * and keep tens of megabytes of spent reads alive until the garbage collector gets to them.
 * Compressed files are the exception: zlib may hold on to its input, so they get fresh buffers.
 */
async function readFile(path: string, h: CaptureHandlers): Promise<CaptureInfo> {
  const file = await open(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let length = await readFull(file, buffer);
    if (length >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) {
      return await readChunks(freshChunks(file, Buffer.from(buffer.subarray(0, length))), h);
    }
    const progress = new ProgressCounter(h);
    const parser = new CaptureParser(forwarding(h));
    let spare = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    while (length > 0) {
      const nextRead = readFull(file, spare);
      // Handled at once: a failed read rejects at `await nextRead` below, not as an unhandled
      // rejection while pace() waits for a slow consumer.
      nextRead.catch(() => undefined);
      try {
        progress.add(length);
        parser.push(buffer.subarray(0, length));
        await pace(h);
      } catch (error) {
        // The file is closed below: not while the read is still in flight.
        await nextRead.catch(() => undefined);
        throw error;
      }
      length = await nextRead;
      [buffer, spare] = [spare, buffer];
    }
    const info = parser.end();
    progress.finish();
    return info;
  } finally {
    await file.close();
  }
}

/** Waits, before the next read, for what the handlers' beforeRead asks to wait for. */
async function pace(h: CaptureHandlers): Promise<void> {
  const wait = h.beforeRead?.();
  if (wait) await wait;
}

/** Reads into `buffer` until it is full or the file ends; returns the bytes read. */
async function readFull(file: FileHandle, buffer: Buffer): Promise<number> {
  let length = 0;
  while (length < buffer.length) {
    const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return length;
}

/** `first`, then the rest of the file in buffers of its own each. */
async function* freshChunks(file: FileHandle, first: Buffer): AsyncGenerator<Buffer> {
  yield first;
  for (;;) {
    const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    const length = await readFull(file, chunk);
    if (length === 0) return;
    yield length === chunk.length ? chunk : chunk.subarray(0, length);
  }
}

/** Reads a byte stream whose chunks stay the caller's: gzip detected by its magic, then inflated or parsed. */
async function readChunks(chunks: AsyncIterator<Buffer>, h: CaptureHandlers): Promise<CaptureInfo> {
  const progress = new ProgressCounter(h);
  const parser = new CaptureParser(forwarding(h));
  try {
    const head = await firstBytes(chunks, 2);
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
      const info = await inflateInto(parser, prepend(head, chunks), progress, h);
      progress.finish();
      return info;
    }
    progress.add(head.length);
    if (head.length > 0) parser.push(head);
    for (;;) {
      await pace(h);
      const next = await chunks.next();
      if (next.done) break;
      progress.add(next.value.length);
      parser.push(next.value);
    }
    const info = parser.end();
    progress.finish();
    return info;
  } finally {
    await chunks.return?.(undefined);
  }
}

/**
 * Handlers for a CaptureParser that pass packets and warnings on to h (packetRange too, when h
 * has it); progress is left out, as it is counted here in bytes of the source.
 */
function forwarding(h: CaptureHandlers): CaptureHandlers {
  const packetRange = h.packetRange;
  return {
    packet: (p) => h.packet(p),
    packetRange: packetRange === undefined ? undefined : (p, buf, start, end) => packetRange.call(h, p, buf, start, end),
    warning: (w) => h.warning(w),
  };
}

/** Accepts Buffers, strings and plain Uint8Arrays (web streams) alike, without copying Buffers. */
async function* bufferChunks(input: AsyncIterable<Buffer | string | Uint8Array>): AsyncGenerator<Buffer> {
  for await (const chunk of input) {
    if (Buffer.isBuffer(chunk)) yield chunk;
    else if (typeof chunk === 'string') yield Buffer.from(chunk, 'latin1');
    else yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

/** Reads chunks until at least `count` bytes (or the end); returns them joined. */
async function firstBytes(chunks: AsyncIterator<Buffer>, count: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  while (length < count) {
    const next = await chunks.next();
    if (next.done) break;
    parts.push(next.value);
    length += next.value.length;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

async function* prepend(head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield head;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

/**
 * Inflates `compressed` into the parser. Damaged gzip (corrupt, cut short, bytes after the
 * gzip data) becomes a warning at the inflated offset reached, and the packets inflated
 * before it stand; an error of the source itself, or a CaptureFormatError from the parser,
 * rejects.
 */
async function inflateInto(
  parser: CaptureParser,
  compressed: AsyncIterable<Buffer>,
  progress: ProgressCounter,
  h: CaptureHandlers,
): Promise<CaptureInfo> {
  const gzip = new GzipInflater((chunk) => parser.push(chunk));
  try {
    for await (const chunk of compressed) {
      progress.add(chunk.length);
      await gzip.write(chunk);
      if (gzip.problem !== null) break;
      await pace(h);
    }
    await gzip.end();
  } finally {
    gzip.dispose();
  }
  if (gzip.problem !== null && gzip.inflated === 0) {
    throw new CaptureFormatError(`not a capture file: gzip data that does not inflate (${gzip.problem})`);
  }
  if (gzip.problem !== null) {
    h.warning({
      offset: gzip.inflated,
      packet: null,
      message: `the gzip stream is damaged after ${gzip.inflated} inflated bytes (${gzip.problem}); the ${parser.packets} packets before it are kept`,
    });
  }
  return { ...parser.end(), compression: 'gzip' };
}

/** Reports source bytes every PROGRESS_STEP, and once at the end. */
class ProgressCounter {
  private bytes = 0;
  private reported = 0;

  constructor(private readonly h: CaptureHandlers) {}

  add(n: number): void {
    this.bytes += n;
    if (this.h.progress !== undefined && this.bytes - this.reported >= PROGRESS_STEP) {
      this.reported = this.bytes;
      this.h.progress(this.bytes);
    }
  }

  finish(): void {
    if (this.h.progress !== undefined && this.reported !== this.bytes) this.h.progress(this.bytes);
  }
}
