// pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks, each framed as
//   Block Type (32) | Block Total Length (32) | body | Block Total Length (32)
// in the byte order of the section, which the Section Header Block's byte-order magic
// (0x1A2B3C4D) sets. A file may hold several sections (concatenated files are valid), each
// with its own byte order and its own interface list; frames count on across sections.
//
// The repeated total length is what makes damage recoverable: a block whose lengths disagree
// (or are not a multiple of 4, below 12, or absurdly large) is reported once, and the reader
// scans forward for a known block type whose leading and trailing lengths match.
import type { Timestamp } from '../model.js';
import { Damage, type PacketEmitter, type RecordReader, u16, u32 } from './record-reader.js';
import { MAX_CAPLEN } from './pcap.js';
import { PCAPNG_SHB_TYPE } from './sniff.js';
import { timestampUnit, type TimestampUnit, unitsToTimestamp } from './timestamp.js';

const BLOCK_IDB = 0x00000001;
/** The obsolete Packet Block (appendix of the spec): like an EPB with a 16-bit interface id. */
const BLOCK_PB = 0x00000002;
const BLOCK_SPB = 0x00000003;
const BLOCK_NRB = 0x00000004;
const BLOCK_ISB = 0x00000005;
const BLOCK_EPB = 0x00000006;
const BLOCK_SYSTEMD_JOURNAL = 0x00000009;
const BLOCK_DSB = 0x0000000a;
const BLOCK_CUSTOM = 0x00000bad;
const BLOCK_CUSTOM_NO_COPY = 0x40000bad;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;

const MIN_BLOCK_LENGTH = 12;
/** Smallest valid total length per block type (fixed fields plus framing). */
const MIN_SHB_LENGTH = 28;
const MIN_IDB_LENGTH = 20;
const MIN_SPB_LENGTH = 16;
const MIN_EPB_LENGTH = 32;
/** Packet blocks: the largest packet plus generous room for options. */
const MAX_PACKET_BLOCK_LENGTH = MIN_EPB_LENGTH + MAX_CAPLEN + 65536;
/** Every other block is held whole before it is checked, so it is bounded too. */
const MAX_OTHER_BLOCK_LENGTH = 16 * 1024 * 1024;

const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;
const DEFAULT_TSRESOL = 6;

interface Interface {
  linkType: number;
  snaplen: number;
  unit: TimestampUnit;
}

function isPacketBlock(type: number): boolean {
  return type === BLOCK_EPB || type === BLOCK_SPB || type === BLOCK_PB;
}

function maxBlockLength(type: number): number {
  return isPacketBlock(type) ? MAX_PACKET_BLOCK_LENGTH : MAX_OTHER_BLOCK_LENGTH;
}

function minBlockLength(type: number): number {
  switch (type) {
    case PCAPNG_SHB_TYPE:
      return MIN_SHB_LENGTH;
    case BLOCK_IDB:
      return MIN_IDB_LENGTH;
    case BLOCK_SPB:
      return MIN_SPB_LENGTH;
    case BLOCK_EPB:
    case BLOCK_PB:
      return MIN_EPB_LENGTH;
    default:
      return MIN_BLOCK_LENGTH;
  }
}

/** Block types the specification defines: the only ones a resync will stop at. */
function isKnownBlockType(type: number): boolean {
  switch (type) {
    case PCAPNG_SHB_TYPE:
    case BLOCK_IDB:
    case BLOCK_PB:
    case BLOCK_SPB:
    case BLOCK_NRB:
    case BLOCK_ISB:
    case BLOCK_EPB:
    case BLOCK_SYSTEMD_JOURNAL:
    case BLOCK_DSB:
    case BLOCK_CUSTOM:
    case BLOCK_CUSTOM_NO_COPY:
      return true;
    default:
      return false;
  }
}

/** Options are padded to 32 bits. */
function padded(length: number): number {
  return (length + 3) & ~3;
}

/**
 * The opt_comment values among the options in buf[pos, end), or undefined when there are
 * none. Stops at opt_endofopt or at an option that overruns the block.
 */
function readComments(buf: Buffer, pos: number, end: number, le: boolean): string[] | undefined {
  let comments: string[] | undefined;
  while (pos + 4 <= end) {
    const code = u16(buf, pos, le);
    const length = u16(buf, pos + 2, le);
    if (code === OPT_ENDOFOPT || pos + 4 + length > end) break;
    if (code === OPT_COMMENT) (comments ??= []).push(buf.toString('utf8', pos + 4, pos + 4 + length));
    pos += 4 + padded(length);
  }
  return comments;
}

export class PcapngReader implements RecordReader {
  need = MIN_BLOCK_LENGTH;
  /** Byte order of the current section. */
  private le = true;
  private interfaces: Interface[] = [];
  /** For Simple Packet Blocks, which carry no timestamp. */
  private lastTs: Timestamp | null = null;
  private damage: Damage | null = null;

  constructor(private readonly emitter: PacketEmitter) {}

  parse(buf: Buffer, pos: number, end: number, base: number, eof: boolean): number {
    for (;;) {
      if (this.damage !== null) {
        pos = this.scan(buf, pos, end, base, eof);
        if (this.damage !== null) return pos;
      }
      const avail = end - pos;
      if (avail < MIN_BLOCK_LENGTH) {
        if (!eof) return this.wait(pos, MIN_BLOCK_LENGTH);
        if (avail > 0) this.damage = this.newDamage(base + pos, `the capture ends inside a block header (${avail} bytes)`, true);
        return end;
      }
      let le = this.le;
      const type = u32(buf, pos, le);
      if (type === PCAPNG_SHB_TYPE) {
        const magic = buf.readUInt32LE(pos + 8);
        if (magic !== BYTE_ORDER_MAGIC && magic !== BYTE_ORDER_MAGIC_SWAPPED) {
          this.damage = this.newDamage(base + pos, `section header with unknown byte-order magic ${magic.toString(16)}`, false);
          pos++;
          continue;
        }
        le = magic === BYTE_ORDER_MAGIC;
      }
      const length = u32(buf, pos + 4, le);
      if (length < MIN_BLOCK_LENGTH || (length & 3) !== 0 || length > maxBlockLength(type)) {
        this.damage = this.newDamage(base + pos, `block type 0x${type.toString(16)} has an invalid total length ${length}`, false);
        pos++;
        continue;
      }
      if (length > avail) {
        if (!eof) return this.wait(pos, length);
        this.damage = this.newDamage(base + pos, `the block needs ${length} bytes but the capture ends after ${avail}`, true);
        pos++;
        continue;
      }
      const trailer = u32(buf, pos + length - 4, le);
      if (trailer !== length) {
        this.damage = this.newDamage(
          base + pos,
          `block type 0x${type.toString(16)}: trailing total length ${trailer} does not match the leading ${length}`,
          false,
        );
        pos++;
        continue;
      }
      this.handleBlock(type, buf, pos, length, base, le);
      pos += length;
    }
  }

  finish(endOffset: number): void {
    if (this.damage !== null) this.damage.unresolvedAtEnd(this.emitter, endOffset);
    this.damage = null;
  }

  private wait(pos: number, need: number): number {
    this.need = need;
    return pos;
  }

  private newDamage(offset: number, problem: string, cutShort: boolean): Damage {
    return new Damage(offset, this.emitter.frames + 1, 'pcapng block', problem, cutShort);
  }

  /** A block that is framed correctly but whose content is unusable: skipped with a warning. */
  private skipBlock(offset: number, packet: number | null, problem: string): void {
    this.emitter.warning(offset, packet, `pcapng block at offset ${offset}: ${problem}; skipped`);
  }

  private handleBlock(type: number, buf: Buffer, pos: number, length: number, base: number, le: boolean): void {
    if (length < minBlockLength(type)) {
      this.skipBlock(base + pos, null, `block type 0x${type.toString(16)} is only ${length} bytes long`);
      return;
    }
    switch (type) {
      case PCAPNG_SHB_TYPE:
        this.sectionHeader(buf, pos, length, base, le);
        return;
      case BLOCK_IDB:
        this.interfaceDescription(buf, pos, length);
        return;
      case BLOCK_EPB:
        this.packetBlock(buf, pos, length, base, u32(buf, pos + 8, this.le));
        return;
      case BLOCK_PB:
        this.packetBlock(buf, pos, length, base, u16(buf, pos + 8, this.le));
        return;
      case BLOCK_SPB:
        this.simplePacket(buf, pos, length, base);
        return;
      default:
      // Name resolution, statistics, secrets, journal, custom and unknown blocks carry no packets.
    }
  }

  /** Starts a new section: its byte order, an empty interface list, its comments. */
  private sectionHeader(buf: Buffer, pos: number, length: number, base: number, le: boolean): void {
    this.le = le;
    this.interfaces = [];
    const major = u16(buf, pos + 12, le);
    if (major !== 1) {
      this.emitter.warning(base + pos, null, `pcapng section at offset ${base + pos} has version ${major}.${u16(buf, pos + 14, le)}; read as 1.0`);
    }
    const comments = readComments(buf, pos + 24, pos + length - 4, le);
    if (comments !== undefined) this.emitter.comments.push(...comments);
  }

  private interfaceDescription(buf: Buffer, pos: number, length: number): void {
    const le = this.le;
    const linkType = u16(buf, pos + 8, le);
    let tsresol = DEFAULT_TSRESOL;
    let offsetSec = 0;
    const end = pos + length - 4;
    for (let p = pos + 16; p + 4 <= end; ) {
      const code = u16(buf, p, le);
      const optionLength = u16(buf, p + 2, le);
      if (code === OPT_ENDOFOPT || p + 4 + optionLength > end) break;
      if (code === IF_TSRESOL && optionLength >= 1) tsresol = buf[p + 4]!;
      if (code === IF_TSOFFSET && optionLength >= 8) {
        offsetSec = Number(le ? buf.readBigInt64LE(p + 4) : buf.readBigInt64BE(p + 4));
      }
      p += 4 + padded(optionLength);
    }
    this.interfaces.push({ linkType, snaplen: u32(buf, pos + 12, le), unit: timestampUnit(tsresol, offsetSec) });
    this.emitter.addLinkType(linkType);
  }

  /** Enhanced Packet Block and the obsolete Packet Block: same layout from offset 12 on. */
  private packetBlock(buf: Buffer, pos: number, length: number, base: number, interfaceId: number): void {
    const le = this.le;
    const iface = this.interfaces[interfaceId];
    if (iface === undefined) {
      this.skipBlock(base + pos, this.emitter.frames + 1, `packet on interface ${interfaceId}, but the section describes ${this.interfaces.length}`);
      return;
    }
    const caplen = u32(buf, pos + 20, le);
    const dataStart = pos + 28;
    const blockEnd = pos + length - 4;
    if (dataStart + caplen > blockEnd) {
      this.skipBlock(base + pos, this.emitter.frames + 1, `captured length ${caplen} overruns the ${length}-byte block`);
      return;
    }
    const optionsStart = dataStart + padded(caplen);
    const comment = optionsStart < blockEnd ? readComments(buf, optionsStart, blockEnd, le)?.join('\n') : undefined;
    const ts = unitsToTimestamp(iface.unit, u32(buf, pos + 12, le), u32(buf, pos + 16, le));
    this.lastTs = ts;
    this.emitter.packet(ts, iface.linkType, buf, dataStart, dataStart + caplen, u32(buf, pos + 24, le), base + pos, interfaceId, comment);
  }

  /**
   * Simple Packet Block: no interface id (it is the section's first interface), no
   * timestamp (the previous packet's time is the best estimate, 0 before any), and the
   * captured length is min(original length, snaplen) within the block.
   */
  private simplePacket(buf: Buffer, pos: number, length: number, base: number): void {
    const iface = this.interfaces[0];
    if (iface === undefined) {
      this.skipBlock(base + pos, this.emitter.frames + 1, 'simple packet block before any interface description');
      return;
    }
    const origLength = u32(buf, pos + 8, this.le);
    let caplen = Math.min(origLength, length - MIN_SPB_LENGTH);
    if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
    const last = this.lastTs;
    const ts: Timestamp = last === null ? { sec: 0, nsec: 0, digits: iface.unit.digits } : { sec: last.sec, nsec: last.nsec, digits: last.digits };
    this.lastTs = ts;
    this.emitter.packet(ts, iface.linkType, buf, pos + 12, pos + 12 + caplen, origLength, base + pos, 0, undefined);
  }

  /** Looks for the next block: a known type whose leading and trailing lengths agree. */
  private scan(buf: Buffer, pos: number, end: number, base: number, eof: boolean): number {
    const damage = this.damage!;
    for (; ; pos++) {
      if (end - pos < MIN_BLOCK_LENGTH) return eof ? end : this.wait(pos, MIN_BLOCK_LENGTH);
      let le = this.le;
      const type = u32(buf, pos, le);
      if (!isKnownBlockType(type)) continue;
      if (type === PCAPNG_SHB_TYPE) {
        const magic = buf.readUInt32LE(pos + 8);
        if (magic !== BYTE_ORDER_MAGIC && magic !== BYTE_ORDER_MAGIC_SWAPPED) continue;
        le = magic === BYTE_ORDER_MAGIC;
      }
      const length = u32(buf, pos + 4, le);
      if (length < minBlockLength(type) || (length & 3) !== 0 || length > maxBlockLength(type)) continue;
      if (length > end - pos) {
        if (eof) continue;
        return this.wait(pos, length);
      }
      if (u32(buf, pos + length - 4, le) !== length) continue;
      if (type === BLOCK_EPB && (u32(buf, pos + 8, le) >= this.interfaces.length || u32(buf, pos + 20, le) > length - MIN_EPB_LENGTH)) continue;
      // Packet data can frame a block by chance: a line feed and padding read as a Decryption
      // Secrets Block (0x0000000A) whose length is a real trailer, ending on a later length field.
      // What follows a real block is another one, or the end.
      const after = pos + length;
      if (end - after < 4) {
        if (!eof) return this.wait(pos, length + 4);
        if (after !== end) continue;
      } else if (!isKnownBlockType(u32(buf, after, le))) {
        continue;
      }
      damage.resolvedAt(this.emitter, base + pos);
      this.damage = null;
      return pos;
    }
  }
}
