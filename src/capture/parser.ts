// The incremental parser: detects the format from the first bytes, then lets the format's
// record walker run over each chunk in place. Only a record cut by a chunk boundary is
// copied: its start is kept in a small carry-over buffer ("tail"), topped up from the next
// chunk with exactly the bytes the walker asks for, and the walk goes back to the chunk
// itself as soon as the tail is used up. Memory is therefore about one record (bounded by
// the readers' length checks), whatever the size of the file.
import type { CaptureFormat, CaptureInfo } from '../model.js';
import { type CaptureHandlers, PacketEmitter, type RecordReader } from './record-reader.js';
import { PcapReader } from './pcap.js';
import { PcapngReader } from './pcapng.js';
import { CaptureFormatError, describeNonCapture, GUESS_BYTES, sniffCaptureFormat } from './sniff.js';

/** Smallest carry-over buffer: enough for most records, so it is allocated once and reused. */
const MIN_TAIL_BYTES = 64 * 1024;
/** Progress is reported after at least this many bytes. */
export const PROGRESS_STEP = 4 * 1024 * 1024;

/** Incremental, synchronous parser for an uncompressed pcap / pcapng byte stream. */
export class CaptureParser {
  private readonly emitter: PacketEmitter;
  private reader: RecordReader | null = null;
  private format: CaptureFormat | null = null;
  /** Carried-over bytes: tail[tailStart, tailEnd) begin at stream offset `consumed`. */
  private tail: Buffer = Buffer.alloc(0);
  private tailStart = 0;
  private tailEnd = 0;
  /** Stream offset of the first byte no record walk has consumed yet. */
  private consumed = 0;
  /** Bytes pushed so far. */
  private received = 0;
  private reportedProgress = 0;
  private info: CaptureInfo | null = null;

  constructor(private readonly handlers: CaptureHandlers) {
    this.emitter = new PacketEmitter(handlers);
  }

  /** Packets delivered so far. */
  get packets(): number {
    return this.emitter.frames;
  }

  /** Parses what `chunk` completes; packets and warnings are delivered before it returns. */
  push(chunk: Buffer): void {
    if (this.info !== null) throw new Error('CaptureParser.push() after end()');
    const chunkBase = this.received;
    this.received += chunk.length;
    let pos = 0;
    if (this.reader === null && !(this.tailEnd === 0 && this.detect(chunk, false))) {
      // Too few bytes to tell so far: gather the head (at most GUESS_BYTES) in the tail.
      pos = Math.min(chunk.length, GUESS_BYTES - this.tailEnd);
      this.append(chunk, 0, pos);
      if (!this.detect(this.tail.subarray(0, this.tailEnd), false)) return;
    }
    if (this.tailEnd > this.tailStart) pos = this.stitch(chunk, pos);
    if (pos >= 0) {
      const reader = this.reader!;
      const stop = reader.parse(chunk, pos, chunk.length, chunkBase, false);
      this.consumed = chunkBase + stop;
      if (stop < chunk.length) this.keep(chunk, stop);
    }
    this.reportProgress();
  }

  /** Finishes the input: reports a cut-off last record and unresolved damage. */
  end(): CaptureInfo {
    if (this.info !== null) return this.info;
    if (this.reader === null) this.detect(this.tail.subarray(0, this.tailEnd), true);
    const reader = this.reader!;
    reader.parse(this.tail, this.tailStart, this.tailEnd, this.consumed - this.tailStart, true);
    reader.finish(this.received);
    this.tail = Buffer.alloc(0);
    this.tailStart = this.tailEnd = 0;
    this.info = {
      format: this.format!,
      compression: null,
      linkTypes: [...this.emitter.linkTypes],
      packets: this.emitter.frames,
      bytes: this.received,
      comments: [...this.emitter.comments],
    };
    return this.info;
  }

  /**
   * Chooses the record walker, or returns false to wait for more bytes. A head that is no
   * capture is rejected once there are enough bytes to say what it looks like (or at the end).
   */
  private detect(head: Buffer, final: boolean): boolean {
    const format = sniffCaptureFormat(head);
    if (format === 'pcap' || format === 'pcap-nsec') {
      this.reader = new PcapReader(this.emitter, format === 'pcap-nsec');
    } else if (format === 'pcapng') {
      this.reader = new PcapngReader(this.emitter);
    } else if (final || head.length >= GUESS_BYTES) {
      // gzip lands here too: this parser reads uncompressed streams (readCapture inflates).
      throw new CaptureFormatError(describeNonCapture(head.subarray(0, GUESS_BYTES)));
    } else {
      return false;
    }
    this.format = format;
    return true;
  }

  /**
   * Finishes the records that start in the tail, topping it up from `chunk` (bytes before
   * `pos` are already in it). Returns the chunk position where the walk can continue in
   * place, or -1 when the whole chunk went into the tail.
   */
  private stitch(chunk: Buffer, pos: number): number {
    const reader = this.reader!;
    for (;;) {
      const take = Math.min(reader.need - (this.tailEnd - this.tailStart), chunk.length - pos);
      if (take > 0) {
        this.append(chunk, pos, pos + take);
        pos += take;
      }
      if (this.tailEnd - this.tailStart < reader.need) return -1;
      const stop = reader.parse(this.tail, this.tailStart, this.tailEnd, this.consumed - this.tailStart, false);
      this.consumed += stop - this.tailStart;
      const unconsumed = this.tailEnd - stop;
      if (unconsumed <= pos) {
        // What is left came from this chunk: go on reading the chunk itself.
        this.tailStart = this.tailEnd = 0;
        return pos - unconsumed;
      }
      this.tailStart = stop;
    }
  }

  /** Starts a tail with chunk[from, end), sized for the record the reader waits for. */
  private keep(chunk: Buffer, from: number): void {
    const length = chunk.length - from;
    const capacity = Math.max(length, this.reader!.need, MIN_TAIL_BYTES);
    if (this.tail.length < capacity) this.tail = Buffer.allocUnsafe(capacity);
    chunk.copy(this.tail, 0, from);
    this.tailStart = 0;
    this.tailEnd = length;
  }

  /** Appends src[from, to) to the tail, compacting or growing it (doubling keeps copies amortised). */
  private append(src: Buffer, from: number, to: number): void {
    const n = to - from;
    if (this.tailEnd + n > this.tail.length) {
      const live = this.tailEnd - this.tailStart;
      if (live + n <= this.tail.length && live <= this.tail.length / 2) {
        this.tail.copyWithin(0, this.tailStart, this.tailEnd);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(2 * (live + n), MIN_TAIL_BYTES));
        this.tail.copy(grown, 0, this.tailStart, this.tailEnd);
        this.tail = grown;
      }
      this.tailStart = 0;
      this.tailEnd = live;
    }
    src.copy(this.tail, this.tailEnd, from, to);
    this.tailEnd += n;
  }

  private reportProgress(): void {
    if (this.handlers.progress !== undefined && this.received - this.reportedProgress >= PROGRESS_STEP) {
      this.reportedProgress = this.received;
      this.handlers.progress(this.received);
    }
  }
}
