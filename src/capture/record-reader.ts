// What the record readers share: the handlers, the frame counter that runs across pcapng
// sections, the link types and comments for CaptureInfo, and the damage bookkeeping that
// turns "this record is broken, skipped to there" into one warning.
import type { DecodeWarning, RawPacket, Timestamp } from '../model.js';

export interface CaptureHandlers {
  /** `p.data` is a view valid only during the call. */
  packet(p: RawPacket): void;
  /** Never fatal. */
  warning(w: DecodeWarning): void;
  /** Called every few MB at most. */
  progress?(bytesRead: number): void;
}

export class PacketEmitter {
  /** Packets delivered so far; the next one is frame `frames + 1` (Wireshark counts across sections). */
  frames = 0;
  /** Distinct link types in order of appearance (pcap header or each IDB). */
  readonly linkTypes: number[] = [];
  /** Section Header Block comments (opt_comment). */
  readonly comments: string[] = [];

  constructor(private readonly handlers: CaptureHandlers) {}

  addLinkType(linkType: number): void {
    if (!this.linkTypes.includes(linkType)) this.linkTypes.push(linkType);
  }

  packet(
    ts: Timestamp,
    linkType: number,
    data: Buffer,
    origLength: number,
    fileOffset: number,
    interfaceIndex: number,
    comment: string | undefined,
  ): void {
    // A fresh object per packet: consumers may keep `ts` (the pipeline keeps the first and last).
    this.handlers.packet({
      frame: ++this.frames,
      ts,
      linkType,
      data,
      origLength,
      truncated: data.length < origLength,
      fileOffset,
      interfaceIndex,
      comment,
    });
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
  return le ? buf.readUInt16LE(pos) : buf.readUInt16BE(pos);
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
