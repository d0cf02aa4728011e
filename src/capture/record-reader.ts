// What the record readers share: the handlers, the frame counter that runs across pcapng
// sections, the link types and comments for CaptureInfo, and the damage bookkeeping that
// turns "this record is broken, skipped to there" into one warning.
import type { DecodeWarning, RawPacket, Timestamp } from '../model.js';
import { viewOf } from '../buffer-calls.js';

export interface CaptureHandlers {
  /** `p.data` is a view valid only during the call. */
  packet(p: RawPacket): void;
  /**
   * For the decoding pipeline, optional: when present it receives every packet in place of
   * `packet`, with the packet's bytes as buf[start, end) of the reader's own buffer and `p` a
   * description reused from packet to packet (its `data` empty); all valid only during the call.
   * It saves a view and an object per packet.
   */
  packetRange?(p: RawPacket, buf: Buffer, start: number, end: number): void;
  /** Never fatal. */
  warning(w: DecodeWarning): void;
  /** Called every few MB at most. */
  progress?(bytesRead: number): void;
  /**
   * Called before each read of the source after the first: a promise holds the reading back
   * until it settles (backpressure from a consumer slower than the decoder), null lets it go on.
   */
  beforeRead?(): Promise<void> | null;
}

export class PacketEmitter {
  /** Packets delivered so far; the next one is frame `frames + 1` (Wireshark counts across sections). */
  frames = 0;
  /** Distinct link types in order of appearance (pcap header or each IDB). */
  readonly linkTypes: number[] = [];
  /** Section Header Block comments (opt_comment). */
  readonly comments: string[] = [];

  /** The description packetRange receives, reused for every packet. */
  private readonly described: RawPacket = {
    frame: 0, ts: { sec: 0, nsec: 0, digits: 0 }, linkType: 0, data: Buffer.alloc(0), origLength: 0, truncated: false,
    fileOffset: 0, interfaceIndex: 0, comment: undefined,
  };

  constructor(private readonly handlers: CaptureHandlers) {}

  addLinkType(linkType: number): void {
    if (!this.linkTypes.includes(linkType)) this.linkTypes.push(linkType);
  }

  /** A packet whose bytes are buf[start, end). `ts` must be a fresh object: consumers may keep it (the pipeline keeps the first and last). */
  packet(
    ts: Timestamp,
    linkType: number,
    buf: Buffer,
    start: number,
    end: number,
    origLength: number,
    fileOffset: number,
    interfaceIndex: number,
    comment: string | undefined,
  ): void {
    const frame = ++this.frames;
    const truncated = end - start < origLength;
    if (this.handlers.packetRange !== undefined) {
      const p = this.described;
      p.frame = frame;
      p.ts = ts;
      p.linkType = linkType;
      p.origLength = origLength;
      p.truncated = truncated;
      p.fileOffset = fileOffset;
      p.interfaceIndex = interfaceIndex;
      p.comment = comment;
      this.handlers.packetRange(p, buf, start, end);
      return;
    }
    this.handlers.packet({ frame, ts, linkType, data: viewOf(buf, start, end), origLength, truncated, fileOffset, interfaceIndex, comment });
  }

  warning(offset: number | null, packet: number | null, message: string): void {
    this.handlers.warning({ offset, packet, message });
  }
}

/**
 * One stretch of damage: where it started, what was wrong, and (once the reader has found
 * the next plausible record, or the input ended) one warning that says how it was resolved.
 */
export class Damage {
  constructor(
    /** Stream offset of the damaged record. */
    readonly offset: number,
    /** The frame number the damaged record would have had. */
    readonly packet: number,
    /** "pcap record" or "pcapng block". */
    private readonly what: string,
    private readonly problem: string,
    /** True when the input simply ends inside the record: nothing to add at end of input. */
    private readonly cutShort: boolean,
  ) {}

  resolvedAt(emitter: PacketEmitter, resumeOffset: number): void {
    const skipped = resumeOffset - this.offset;
    emitter.warning(
      this.offset,
      this.packet,
      `${this.what} at offset ${this.offset} (packet ${this.packet}): ${this.problem}; ` +
        `resynchronised at offset ${resumeOffset} after skipping ${skipped} byte${skipped === 1 ? '' : 's'}`,
    );
  }

  unresolvedAtEnd(emitter: PacketEmitter, endOffset: number): void {
    const rest = this.cutShort ? '' : `; nothing readable follows (${endOffset - this.offset} bytes to the end skipped)`;
    emitter.warning(this.offset, this.packet, `${this.what} at offset ${this.offset} (packet ${this.packet}): ${this.problem}${rest}`);
  }
}

/**
 * Reads a 32-bit unsigned integer in the section's byte order. Plain byte arithmetic: in the
 * record walk it measured faster than readUInt32LE/BE, which check their arguments on every
 * call; callers check bounds once per record.
 */
export function u32(buf: Buffer, pos: number, le: boolean): number {
  return le
    ? (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16)) + buf[pos + 3]! * 0x1000000
    : ((buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!) + buf[pos]! * 0x1000000;
}

export function u16(buf: Buffer, pos: number, le: boolean): number {
  return le ? buf[pos]! | (buf[pos + 1]! << 8) : (buf[pos]! << 8) | buf[pos + 1]!;
}

/**
 * A format's record walker. `parse` consumes whole records of buf[pos, end) (buf[0] sits at
 * stream offset `base`) and returns where it stopped; when that is before `end` and the
 * input has not ended, `need` is how many bytes from there it must see before it can go on
 * (always more than it had). With `eof` it consumes everything.
 */
export interface RecordReader {
  need: number;
  parse(buf: Buffer, pos: number, end: number, base: number, eof: boolean): number;
  /** After the last parse: reports damage still unresolved at the end of the input. */
  finish(endOffset: number): void;
}
