// The bytes of a PDU (SIP message, WebSocket frame, HEP packet, SCTP user message) that spans
// several packets, kept until it is complete, with the frames they came from.
//
// Packet data is a view valid only while its packet is handled, so bytes that must wait are
// copied once, into one buffer that grows by doubling (or is sized exactly when the PDU's length
// is known): a message spanning n segments costs one copy of its bytes, not n concatenations.
import type { Timestamp } from '../model.js';

const EMPTY = Buffer.alloc(0);
const MIN_CAPACITY = 2048;
/** A buffer grown past this is released after use rather than kept for the next PDU. */
const KEEP_CAPACITY = 64 * 1024;

/** Where the bytes of an accumulated run came from: frame i supplied the bytes up to ends[i]. */
export interface FrameRegions {
  frames: number[];
  ends: number[];
  stamps: Timestamp[];
}

export class ByteAccumulator implements FrameRegions {
  buf: Buffer = EMPTY;
  length = 0;
  frames: number[] = [];
  ends: number[] = [];
  stamps: Timestamp[] = [];

  /** Makes room for `total` bytes in all (exactly, when the final size is known). */
  reserve(total: number): void {
    if (total <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(total);
    if (this.length > 0) this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }

  /** Copies src[start, end), seen in `frame` at `ts`. */
  append(src: Buffer, start: number, end: number, frame: number, ts: Timestamp): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.length + n > this.buf.length) {
      this.reserve(Math.max(this.length + n, this.buf.length * 2, MIN_CAPACITY));
    }
    src.copy(this.buf, this.length, start, end);
    this.length += n;
    const last = this.frames.length - 1;
    if (last >= 0 && this.frames[last] === frame) {
      this.ends[last] = this.length;
    } else {
      this.frames.push(frame);
      this.ends.push(this.length);
      this.stamps.push(ts);
    }
  }

  /** Copies src[start, end) of an accumulated run, keeping the frames each part came from. */
  appendRegions(src: Buffer, start: number, end: number, regions: FrameRegions): void {
    let regionStart = 0;
    for (let i = 0; i < regions.frames.length && start < end; i++) {
      const regionEnd = regions.ends[i];
      if (regionEnd > start) {
        const stop = Math.min(regionEnd, end);
        this.append(src, Math.max(start, regionStart), stop, regions.frames[i], regions.stamps[i]);
        start = stop;
      }
      regionStart = regionEnd;
    }
  }

  /** The accumulated bytes (a view of the internal buffer). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** Empties the accumulator for the next PDU, keeping a modest buffer for reuse. */
  clear(): void {
    this.length = 0;
    if (this.buf.length > KEEP_CAPACITY) this.buf = EMPTY;
    if (this.frames.length > 0) {
      this.frames = [];
      this.ends = [];
      this.stamps = [];
    }
  }

  /** Hands the bytes and their regions over to the caller and empties the accumulator. */
  detach(): DetachedBytes {
    const detached = { bytes: this.bytes(), storage: this.buf, regions: { frames: this.frames, ends: this.ends, stamps: this.stamps } };
    this.buf = EMPTY;
    this.length = 0;
    this.frames = [];
    this.ends = [];
    this.stamps = [];
    return detached;
  }

  /** Takes back bytes handed out by detach(), when all of them are still pending (keeping the spare capacity). */
  adopt(detached: DetachedBytes): void {
    this.buf = detached.storage;
    this.length = detached.bytes.length;
    this.frames = detached.regions.frames;
    this.ends = detached.regions.ends;
    this.stamps = detached.regions.stamps;
  }
}

/** What detach() hands over: the bytes, the buffer holding them (with its spare capacity) and their frames. */
export interface DetachedBytes {
  bytes: Buffer;
  storage: Buffer;
  regions: FrameRegions;
}

/** Frames of `regions` that supplied bytes to [start, end), in order. */
export function framesIn(regions: FrameRegions, start: number, end: number): number[] {
  const out: number[] = [];
  let regionStart = 0;
  for (let i = 0; i < regions.frames.length; i++) {
    const regionEnd = regions.ends[i];
    if (regionEnd > start && regionStart < end) out.push(regions.frames[i]);
    regionStart = regionEnd;
  }
  return out;
}

/** Index of the region holding the byte before `end` (the region that completes [.., end)). */
export function regionOf(regions: FrameRegions, end: number): number {
  for (let i = 0; i < regions.ends.length; i++) {
    if (regions.ends[i] >= end) return i;
  }
  return regions.ends.length - 1;
}
