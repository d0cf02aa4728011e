// TCP reassembly for one direction of a connection: segments in, bytes in sequence order out
// (to a StreamDecoder), with the frame each byte came in.
//
// Order is decided by sequence number alone, in modulo-2^32 arithmetic (RFC 9293 §3.4: "the
// sequence number space ... wraps around"): bytes already passed on are dropped wherever they
// reappear (retransmissions, overlapping segments, keep-alive probes), never judged by content.
// A segment ahead of the expected one is held until the bytes between arrive. They never will when
// the capture missed them; that is concluded when the peer acknowledges beyond them (it got
// bytes we did not see), when the held segments outgrow the buffer, or when the stream ends.
// The stream then resumes at the held data and the content decoder resynchronises.
import type { Timestamp } from '../model.js';
import { describeFlow, type Endpoints, type TransportContext } from './context.js';
import { StreamDecoder } from './stream-decoder.js';

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;

/** Out-of-order segments held at most (beside the byte limit). */
const MAX_HELD_SEGMENTS = 1024;

interface HeldSegment {
  seq: number;
  data: Buffer;
  frame: number;
  ts: Timestamp;
}

/** What both directions of a connection share. */
export interface TcpConnection {
  tlsReported: boolean;
}

/** a - b in sequence space, as a signed 32-bit distance. */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export class TcpHalf {
  /** Touched since the flow table last looked (for its least-recently-used eviction). */
  used = true;
  /** The other direction of the connection, once seen. */
  peer: TcpHalf | null = null;
  readonly content: StreamDecoder;
  /** A sequence number is known (from the SYN, or from the first data segment when the capture began mid-stream). */
  private synced = false;
  private isn = -1;
  /** Sequence number of the next byte to pass on. */
  private nextSeq = 0;
  private finSeq = -1;
  /** FIN or RST ended the stream; later bytes are retransmissions, or the connection going on without its SYN. */
  private closed = false;
  private held: HeldSegment[] = [];
  private heldBytes = 0;
  /** Frame of the last bytes passed on, for gap reports. */
  private lastFrame = 0;

  constructor(
    private readonly ctx: TransportContext,
    readonly endpoints: Endpoints,
    readonly connection: TcpConnection,
  ) {
    this.content = new StreamDecoder(ctx, endpoints, (frame) => this.reportTls(frame));
  }

  /** Dropping this state loses nothing worth a warning: the stream has ended, or has shown no SIP. */
  get idle(): boolean {
    return this.closed || !this.content.carriesSip;
  }

  /** One segment of this direction; `payload` is valid only during the call. */
  segment(seq: number, ack: number, flags: number, payload: Buffer, frame: number, ts: Timestamp): void {
    if ((flags & TCP_ACK) !== 0 && this.peer !== null) this.peer.acknowledged(ack);
    if ((flags & TCP_SYN) !== 0) {
      if (!this.synced || this.isn !== seq) {
        // A new connection (or the same 4-tuple reused): its ISN sets the sequence space.
        if (this.synced) this.endStream(frame);
        this.isn = seq;
        this.nextSeq = (seq + 1) >>> 0;
        this.lastFrame = frame;
        this.synced = true;
        this.closed = false;
        this.finSeq = -1;
      }
      seq = (seq + 1) >>> 0; // data carried by a SYN follows the ISN
    }
    if ((flags & TCP_RST) !== 0) {
      // The connection is aborted: neither direction carries more (RFC 9293 §3.5.3).
      if (!this.closed) this.endStream(frame);
      this.peer?.finish(frame);
      return;
    }
    if (payload.length > 0) {
      if (!this.synced) {
        // Mid-stream pickup: start at the first segment seen; the content decoder finds the first SIP line.
        this.synced = true;
        this.nextSeq = seq;
      }
      this.place(seq, payload, frame, ts);
    }
    if ((flags & TCP_FIN) !== 0 && this.synced) {
      this.finSeq = (seq + payload.length) >>> 0;
      this.closeAtFin(frame);
    }
  }

  /** The peer acknowledged up to `ack`: when that is beyond bytes we hold back for, the capture missed them. */
  acknowledged(ack: number): void {
    if (this.held.length > 0 && seqDiff(ack, this.held[0].seq) > 0) this.skipGap();
  }

  /** End of capture, or the flow table dropping this stream. */
  finish(frame: number | null): void {
    if (!this.closed) this.endStream(frame);
  }

  private place(seq: number, data: Buffer, frame: number, ts: Timestamp): void {
    if (this.closed) {
      if (seqDiff(seq, this.nextSeq) < 0) return;
      this.closed = false;
      this.finSeq = -1;
    }
    if (seqDiff(seq, this.nextSeq) > 0) {
      this.hold(seq, data, frame, ts);
      return;
    }
    // Bytes beyond those already passed on (none for a retransmission, some for an overlap).
    const fresh = seqDiff((seq + data.length) >>> 0, this.nextSeq);
    if (fresh <= 0) return;
    this.pass(fresh < data.length ? data.subarray(data.length - fresh) : data, frame, ts);
    if (this.held.length > 0) this.drainHeld();
  }

  private pass(data: Buffer, frame: number, ts: Timestamp): void {
    this.nextSeq = (this.nextSeq + data.length) >>> 0;
    this.lastFrame = frame;
    this.content.bytes(data, frame, ts);
  }

  private hold(seq: number, data: Buffer, frame: number, ts: Timestamp): void {
    const distance = seqDiff(seq, this.nextSeq);
    let i = this.held.length;
    while (i > 0 && seqDiff(this.held[i - 1].seq, this.nextSeq) > distance) i--;
    const before = i > 0 ? this.held[i - 1] : null;
    if (before !== null && before.seq === seq && before.data.length >= data.length) return; // held already
    const copy = Buffer.allocUnsafe(data.length);
    data.copy(copy);
    this.held.splice(i, 0, { seq, data: copy, frame, ts });
    this.heldBytes += copy.length;
    // Giving up one gap may free only a small segment: go on until the held data is within bounds,
    // or tiny segments ahead of large ones would let the held bytes grow past the buffer, one segment per packet.
    while (this.held.length > 0 && (this.heldBytes > this.ctx.maxStreamBuffer || this.held.length > MAX_HELD_SEGMENTS)) this.skipGap();
  }

  /** Passes on held segments that are now in sequence. */
  private drainHeld(): void {
    while (this.held.length > 0) {
      const h = this.held[0];
      if (seqDiff(h.seq, this.nextSeq) > 0) break;
      this.held.shift();
      this.heldBytes -= h.data.length;
      const fresh = seqDiff((h.seq + h.data.length) >>> 0, this.nextSeq);
      if (fresh > 0) this.pass(fresh < h.data.length ? h.data.subarray(h.data.length - fresh) : h.data, h.frame, h.ts);
    }
    this.closeAtFin(this.lastFrame);
  }

  /** Gives up on the bytes before the first held segment: reports the gap and resumes there. */
  private skipGap(): void {
    const first = this.held[0];
    const missing = (first.seq - this.nextSeq) >>> 0;
    if (this.content.carriesSip) {
      this.ctx.warn(
        `${describeFlow('TCP', this.endpoints)}: ${missing} bytes missing from the capture between frame ${this.lastFrame} and frame ${first.frame}; resynchronising at the next SIP message`,
        first.frame,
      );
    }
    this.content.gap(first.frame);
    this.nextSeq = first.seq;
    this.drainHeld();
  }

  private closeAtFin(frame: number): void {
    if (this.finSeq >= 0 && !this.closed && this.nextSeq === this.finSeq) {
      this.endStream(frame);
      this.nextSeq = (this.finSeq + 1) >>> 0; // the FIN takes one sequence number
    }
  }

  /** Passes on whatever is held (across gaps), then ends the content. */
  private endStream(frame: number | null): void {
    this.closed = true; // before the held bytes go: reaching the FIN on the way must not end it twice
    while (this.held.length > 0) this.skipGap();
    this.content.end(frame);
  }

  private reportTls(frame: number): void {
    if (this.connection.tlsReported) return;
    this.connection.tlsReported = true;
    this.ctx.warn(`${describeFlow('TCP', this.endpoints)}: TLS: encrypted, not decoded`, frame);
  }
}
