// gzip (RFC 1952) inflated as a stream, member by member. zlib's own gunzip stream drops the
// output of any write that ends in an error, which would lose the last packets of a file
// with bytes after its gzip data; so the member framing (header, trailer) is read here and
// only the deflate data goes through zlib's raw inflater, which stops cleanly at the end of
// the deflate stream and says how much input it used.
import { crc32, createInflateRaw, type InflateRaw } from 'node:zlib';

/** Compressed bytes per write: when zlib fails, what that write inflated is lost with it. */
const INFLATE_INPUT_BYTES = 16 * 1024;
/** Output size of the inflater (its default, 16 KiB, would mean many more chunk boundaries). */
const INFLATE_CHUNK_BYTES = 1024 * 1024;
/** A member header longer than this (file name, comment, extra field) is not believed. */
const MAX_HEADER_BYTES = 64 * 1024;
const TRAILER_BYTES = 8;

const FLAG_HCRC = 0x02;
const FLAG_EXTRA = 0x04;
const FLAG_NAME = 0x08;
const FLAG_COMMENT = 0x10;
const FLAG_RESERVED = 0xe0;
const METHOD_DEFLATE = 8;

/**
 * The length of the member header at the start of `head`, null when more bytes are needed,
 * or a string saying what is wrong (RFC 1952 section 2.3: ID1 ID2 CM FLG MTIME(4) XFL OS,
 * then the optional extra field, file name, comment and header CRC).
 */
function gzipHeaderLength(head: Buffer): number | null | string {
  if (head.length < 10) return null;
  if (head[0] !== 0x1f || head[1] !== 0x8b) return 'no gzip member header';
  if (head[2] !== METHOD_DEFLATE) return `unknown compression method ${head[2]}`;
  const flags = head[3]!;
  if ((flags & FLAG_RESERVED) !== 0) return `reserved header flags set (0x${flags.toString(16)})`;
  let length = 10;
  if (flags & FLAG_EXTRA) {
    if (head.length < length + 2) return null;
    length += 2 + head.readUInt16LE(length);
  }
  for (const flag of [FLAG_NAME, FLAG_COMMENT]) {
    if (flags & flag) {
      const nul = head.indexOf(0, length);
      if (nul < 0) return null;
      length = nul + 1;
    }
  }
  if (flags & FLAG_HCRC) length += 2;
  return head.length < length ? null : length;
}

type State = 'header' | 'deflate' | 'trailer' | 'between' | 'done';

/**
 * Feeds gzip data in, hands inflated chunks to `sink` as zlib produces them. Damage does not
 * throw: `problem` says what went wrong and where, and everything after it is ignored.
 */
export class GzipInflater {
  /** What went wrong, or null. */
  problem: string | null = null;
  /** Inflated bytes handed to the sink. */
  inflated = 0;
  private state: State = 'header';
  /** Header or trailer bytes gathered across chunks. */
  private gathered: Buffer[] = [];
  private gatheredLength = 0;
  /** Stream offset of the next compressed byte. */
  private compressedOffset = 0;
  /** Stream offset where the member header or trailer being read began. */
  private partOffset = 0;
  private inflater: InflateRaw | null = null;
  private memberLength = 0;
  private memberCrc = 0;
  private sinkError: unknown = null;

  constructor(private readonly sink: (chunk: Buffer) => void) {}

  /** Inflates `chunk`; resolves when its output has gone to the sink, rejects with what the sink threw. */
  async write(chunk: Buffer): Promise<void> {
    let pos = 0;
    while (pos < chunk.length) {
      const start = pos;
      if (this.state === 'header') pos = this.readHeader(chunk, pos);
      else if (this.state === 'deflate') pos = await this.inflate(chunk, pos);
      else if (this.state === 'trailer') pos = this.readTrailer(chunk, pos);
      else if (this.state === 'between') pos = this.between(chunk, pos);
      else break;
      this.compressedOffset += pos - start;
    }
    if (this.sinkError !== null) throw this.sinkError;
  }

  /** The end of the compressed input: flushes the inflater and notes a stream cut short. */
  async end(): Promise<void> {
    if (this.state === 'deflate') {
      const inflater = this.inflater!;
      const closed = settled(inflater, 'close');
      inflater.end();
      await closed;
      // zlib has said "unexpected end of file" if the deflate data was cut; if not, the trailer is missing.
      this.fail('the stream ends before the member trailer');
    } else if (this.state === 'header' && this.gatheredLength > 0) {
      this.fail('the stream ends inside a member header', this.partOffset);
    } else if (this.state === 'trailer') {
      this.fail('the stream ends inside a member trailer', this.partOffset);
    }
    if (this.sinkError !== null) throw this.sinkError;
  }

  /** Stops early (the source failed): releases the inflater. */
  dispose(): void {
    this.state = 'done';
    this.inflater?.destroy();
  }

  /** True once damage or a sink error has ended the work (state changes across awaits). */
  private stopped(): boolean {
    return this.state === 'done';
  }

  /** Records the first problem, at compressed offset `at` (by default where the current step began). */
  private fail(reason: string, at = this.compressedOffset): void {
    this.problem ??= `${reason} at compressed offset ${at}`;
    this.state = 'done';
    this.inflater?.destroy();
  }

  private gather(chunk: Buffer, pos: number, count: number): Buffer {
    const part = Buffer.from(chunk.subarray(pos, pos + count));
    this.gathered.push(part);
    this.gatheredLength += part.length;
    return this.gathered.length === 1 ? this.gathered[0]! : Buffer.concat(this.gathered);
  }

  private resetGathered(): void {
    this.gathered = [];
    this.gatheredLength = 0;
  }

  private readHeader(chunk: Buffer, pos: number): number {
    const before = this.gatheredLength;
    const head = this.gather(chunk, pos, MAX_HEADER_BYTES - before);
    const length = gzipHeaderLength(head);
    if (typeof length === 'string') {
      this.fail(length, this.partOffset);
      return chunk.length;
    }
    if (length === null) {
      if (head.length >= MAX_HEADER_BYTES) this.fail('member header too long', this.partOffset);
      return chunk.length;
    }
    this.resetGathered();
    this.startMember();
    return pos + (length - before);
  }

  private startMember(): void {
    const inflater = createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES });
    inflater.on('data', (out: Buffer) => {
      if (this.state === 'done') return;
      this.memberLength += out.length;
      this.memberCrc = crc32(out, this.memberCrc);
      this.inflated += out.length;
      try {
        this.sink(out);
      } catch (error) {
        // Thrown back to the caller of write() / end(), not into zlib's callback.
        this.sinkError = error;
        this.state = 'done';
        inflater.destroy();
      }
    });
    inflater.on('error', (error: Error) => this.fail(error.message));
    this.inflater = inflater;
    this.memberLength = 0;
    this.memberCrc = 0;
    this.state = 'deflate';
  }

  /**
   * Writes one piece of deflate data. zlib takes all of it unless the deflate stream ends
   * inside it: then the rest is the member trailer and what follows.
   */
  private async inflate(chunk: Buffer, pos: number): Promise<number> {
    const inflater = this.inflater!;
    const piece = chunk.subarray(pos, pos + INFLATE_INPUT_BYTES);
    const before = inflater.bytesWritten;
    await writePiece(inflater, piece);
    if (this.stopped()) return chunk.length;
    const used = inflater.bytesWritten - before;
    if (used < piece.length) {
      // The deflate stream ended inside this piece: let zlib hand over its last output first.
      if (!inflater.readableEnded) await settled(inflater, 'end');
      if (this.stopped()) return chunk.length;
      inflater.destroy();
      this.inflater = null;
      this.state = 'trailer';
      this.partOffset = this.compressedOffset + used;
    }
    return pos + used;
  }

  /** CRC-32 and ISIZE (length mod 2^32) of the member, both little-endian. */
  private readTrailer(chunk: Buffer, pos: number): number {
    const before = this.gatheredLength;
    const trailer = this.gather(chunk, pos, TRAILER_BYTES - before);
    if (trailer.length < TRAILER_BYTES) return chunk.length;
    this.resetGathered();
    if (trailer.readUInt32LE(0) !== this.memberCrc >>> 0) {
      this.fail('CRC-32 mismatch: the inflated data is not what was compressed', this.partOffset);
    } else if (trailer.readUInt32LE(4) !== this.memberLength % 2 ** 32) {
      this.fail('length mismatch: the inflated data is not what was compressed', this.partOffset);
    } else {
      this.state = 'between';
    }
    return pos + (TRAILER_BYTES - before);
  }

  /** After a member: zero padding is skipped (as gzip and zlib do), 1f starts the next member. */
  private between(chunk: Buffer, start: number): number {
    let pos = start;
    while (pos < chunk.length && chunk[pos] === 0) pos++;
    if (pos === chunk.length) return pos;
    if (chunk[pos] === 0x1f) {
      this.state = 'header';
      this.partOffset = this.compressedOffset + (pos - start);
      return pos;
    }
    this.fail('unexpected bytes after the gzip data', this.compressedOffset + (pos - start));
    return chunk.length;
  }
}

/** Resolves on `event`, or on 'close' (which follows an error). */
function settled(inflater: InflateRaw, event: 'end' | 'close'): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      inflater.off(event, done);
      inflater.off('close', done);
      resolve();
    };
    inflater.once(event, done);
    inflater.once('close', done);
  });
}

/** Resolves when zlib has processed `piece` (its output already emitted) or has failed. */
function writePiece(inflater: InflateRaw, piece: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      inflater.off('close', done);
      resolve();
    };
    inflater.once('close', done);
    inflater.write(piece, done);
  });
}
