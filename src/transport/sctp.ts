// SIP over SCTP (RFC 4168): one SIP message per SCTP user message, carried in DATA chunks
// (RFC 9260 §3.3.1) or I-DATA chunks (RFC 8260 §2.1), possibly fragmented and bundled.
//
//   common header: source port (2), destination port (2), verification tag (4), checksum (4)
//   chunk:         type (1), flags (1), length (2, header included, padding excluded), value
//   DATA  (0):  flags U B E; TSN (4), stream id (2), stream sequence number (2), PPID (4), data
//   I-DATA (64): flags I U B E; TSN (4), stream id (2), reserved (2), message id (4),
//                PPID when B is set, else fragment sequence number (4), data
//
// Fragments of a DATA user message have consecutive TSNs (RFC 9260 §6.9); I-DATA fragments are
// told apart by stream, U flag and message id, and ordered by fragment sequence number. SIP has
// no registered PPID, so any PPID is accepted and the message is judged by its first line.
// A chunk seen twice (same TSN) is a retransmission and is dropped.
import type { Timestamp } from '../model.js';
import { describeFlow, type Endpoints, type TransportContext } from './context.js';
import { skipLineBreaks, START_LINE_SIP, startLineStatus } from './sip-framing.js';

const COMMON_HEADER_LENGTH = 12;
const CHUNK_DATA = 0;
const CHUNK_I_DATA = 64;
const DATA_HEADER_LENGTH = 16;
const I_DATA_HEADER_LENGTH = 20;
const FLAG_END = 0x01;
const FLAG_BEGIN = 0x02;
const FLAG_UNORDERED = 0x04;
/** Fragments (or I-DATA messages being put together) held at most, beside the byte limit. */
const MAX_HELD_FRAGMENTS = 4096;
/** TSNs remembered for spotting retransmitted chunks. */
const REMEMBERED_TSNS = 4096;

interface Fragment {
  begin: boolean;
  end: boolean;
  data: Buffer;
  frame: number;
  ts: Timestamp;
}

/** Fragments of one I-DATA user message, by fragment sequence number. */
interface IDataMessage {
  parts: Map<number, Fragment>;
  /** FSN of the fragment with the E bit, once seen. */
  lastFsn: number;
}

/** One direction of an SCTP association. */
export class SctpHalf {
  /** Touched since the flow table last looked (for its least-recently-used eviction). */
  used = true;
  private readonly recentTsns = new Set<number>();
  private readonly tsnRing: number[] = [];
  private tsnRingNext = 0;
  /** DATA fragments by TSN. */
  private readonly fragments = new Map<number, Fragment>();
  private readonly iDataMessages = new Map<string, IDataMessage>();
  private heldBytes = 0;

  constructor(
    private readonly ctx: TransportContext,
    readonly endpoints: Endpoints,
  ) {}

  /** Nothing held: dropping this association's state loses nothing. */
  get idle(): boolean {
    return this.heldBytes === 0;
  }

  /** One SCTP packet (common header and chunks); valid only during the call. */
  packet(sctp: Buffer, frame: number, ts: Timestamp): void {
    let p = COMMON_HEADER_LENGTH;
    while (p + 4 <= sctp.length) {
      const type = sctp[p];
      const flags = sctp[p + 1];
      const length = sctp.readUInt16BE(p + 2);
      if (length < 4 || p + length > sctp.length) {
        this.ctx.warn(`${describeFlow('SCTP', this.endpoints)}: chunk of type ${type} with a bad length (${length})`, frame);
        return;
      }
      if (type === CHUNK_DATA && length >= DATA_HEADER_LENGTH) this.data(sctp, p, length, flags, frame, ts);
      else if (type === CHUNK_I_DATA && length >= I_DATA_HEADER_LENGTH) this.iData(sctp, p, length, flags, frame, ts);
      p += (length + 3) & ~3;
    }
  }

  /** End of capture, or the flow table dropping this association. */
  finish(frame: number | null): void {
    if (this.heldBytes > 0) {
      this.ctx.warn(`${describeFlow('SCTP', this.endpoints)}: fragments of incomplete messages left at the end (${this.heldBytes} bytes)`, frame);
    }
    this.dropFragments();
  }

  /** True when the TSN was seen before; remembers it otherwise. */
  private seen(tsn: number): boolean {
    if (this.recentTsns.has(tsn)) return true;
    if (this.tsnRing.length < REMEMBERED_TSNS) {
      this.tsnRing.push(tsn);
    } else {
      this.recentTsns.delete(this.tsnRing[this.tsnRingNext]);
      this.tsnRing[this.tsnRingNext] = tsn;
      this.tsnRingNext = (this.tsnRingNext + 1) % REMEMBERED_TSNS;
    }
    this.recentTsns.add(tsn);
    return false;
  }

  private data(buf: Buffer, p: number, length: number, flags: number, frame: number, ts: Timestamp): void {
    const tsn = buf.readUInt32BE(p + 4);
    if (this.seen(tsn)) return;
    const start = p + DATA_HEADER_LENGTH;
    const end = p + length;
    if ((flags & (FLAG_BEGIN | FLAG_END)) === (FLAG_BEGIN | FLAG_END)) {
      this.emitIfSip(buf.subarray(start, end), [frame], frame, ts);
      return;
    }
    if (!this.keep(end - start, frame)) return;
    this.fragments.set(tsn, fragment(buf, start, end, flags, frame, ts));
    this.assembleData(tsn);
  }

  /** Emits the DATA user message that `tsn` belongs to if all its fragments are here. */
  private assembleData(tsn: number): void {
    let first = tsn;
    for (let f = this.fragments.get(first); f !== undefined && !f.begin; f = this.fragments.get(first)) {
      first = (first - 1) >>> 0;
    }
    if (this.fragments.get(first)?.begin !== true) return;
    const parts: Fragment[] = [];
    for (let t = first; ; t = (t + 1) >>> 0) {
      const f = this.fragments.get(t);
      if (f === undefined) return;
      parts.push(f);
      if (f.end) break;
      if (parts.length > this.fragments.size) return;
    }
    for (let i = 0; i < parts.length; i++) this.fragments.delete((first + i) >>> 0);
    this.emitParts(parts);
  }

  private iData(buf: Buffer, p: number, length: number, flags: number, frame: number, ts: Timestamp): void {
    const tsn = buf.readUInt32BE(p + 4);
    if (this.seen(tsn)) return;
    const start = p + I_DATA_HEADER_LENGTH;
    const end = p + length;
    if ((flags & (FLAG_BEGIN | FLAG_END)) === (FLAG_BEGIN | FLAG_END)) {
      this.emitIfSip(buf.subarray(start, end), [frame], frame, ts);
      return;
    }
    if (!this.keep(end - start, frame)) return;
    const key = `${buf.readUInt16BE(p + 8)} ${flags & FLAG_UNORDERED} ${buf.readUInt32BE(p + 12)}`;
    let message = this.iDataMessages.get(key);
    if (message === undefined) {
      message = { parts: new Map(), lastFsn: -1 };
      this.iDataMessages.set(key, message);
    }
    // The first fragment's FSN is 0 (its field holds the PPID instead).
    const fsn = (flags & FLAG_BEGIN) !== 0 ? 0 : buf.readUInt32BE(p + 16);
    message.parts.set(fsn, fragment(buf, start, end, flags, frame, ts));
    if ((flags & FLAG_END) !== 0) message.lastFsn = fsn;
    if (message.lastFsn < 0 || message.parts.size < message.lastFsn + 1) return;
    const parts: Fragment[] = [];
    for (let i = 0; i <= message.lastFsn; i++) {
      const part = message.parts.get(i);
      if (part === undefined) return;
      parts.push(part);
    }
    this.iDataMessages.delete(key);
    this.emitParts(parts);
  }

  /** Accounts for `n` more held bytes; past the buffer limit (or too many fragments) everything held is dropped. */
  private keep(n: number, frame: number): boolean {
    const fragments = this.fragments.size + this.iDataMessages.size;
    if (this.heldBytes + n <= this.ctx.maxStreamBuffer && fragments < MAX_HELD_FRAGMENTS) {
      this.heldBytes += n;
      return true;
    }
    this.ctx.warn(
      `${describeFlow('SCTP', this.endpoints)}: fragmented messages larger than the stream buffer (${this.ctx.maxStreamBuffer}); dropped`,
      frame,
    );
    this.dropFragments();
    return false;
  }

  private dropFragments(): void {
    this.fragments.clear();
    this.iDataMessages.clear();
    this.heldBytes = 0;
  }

  /**
   * Joins the fragments of a complete user message (one copy) and emits it, completed by the
   * latest frame among them.
   */
  private emitParts(parts: Fragment[]): void {
    let total = 0;
    let latest = parts[0];
    for (const part of parts) {
      total += part.data.length;
      if (part.frame > latest.frame) latest = part;
    }
    this.heldBytes -= total;
    const frames = parts.map((part) => part.frame).sort((a, b) => a - b);
    const message = Buffer.concat(parts.map((part) => part.data), total);
    this.emitIfSip(message, frames.filter((f, i) => i === 0 || frames[i - 1] !== f), latest.frame, latest.ts);
  }

  private emitIfSip(message: Buffer, frames: number[], frame: number, ts: Timestamp): void {
    const start = skipLineBreaks(message, 0, message.length);
    if (startLineStatus(message, start, message.length) !== START_LINE_SIP) return;
    this.ctx.emitSip(start > 0 ? message.subarray(start) : message, frame, frames, ts, this.endpoints, 'SCTP');
  }
}

function fragment(buf: Buffer, start: number, end: number, flags: number, frame: number, ts: Timestamp): Fragment {
  const data = Buffer.allocUnsafe(end - start);
  buf.copy(data, 0, start, end);
  return { begin: (flags & FLAG_BEGIN) !== 0, end: (flags & FLAG_END) !== 0, data, frame, ts };
}
