// Captures built byte by byte, for what no tool writes on request: big-endian files (editcap
// 4.0 has no byte-order option; the corpus files are converted field by field here), other
// timestamp resolutions, Simple and obsolete Packet Blocks, custom blocks, damage. Layouts
// follow pcap-savefile(5) and draft-ietf-opsawg-pcapng; every helper takes the byte order.

// ------------------------------------------------------------------ classic pcap

export interface PcapRecordSpec {
  sec: number;
  /** Microseconds or nanoseconds, as the file's magic says. */
  frac: number;
  data: Buffer;
  /** Wire length; data.length when absent. */
  origLength?: number;
}

export interface PcapFileSpec {
  le?: boolean;
  nsec?: boolean;
  snaplen?: number;
  linkType?: number;
}

function writeU32(buf: Buffer, pos: number, value: number, le: boolean): void {
  if (le) buf.writeUInt32LE(value >>> 0, pos);
  else buf.writeUInt32BE(value >>> 0, pos);
}

function writeU16(buf: Buffer, pos: number, value: number, le: boolean): void {
  if (le) buf.writeUInt16LE(value, pos);
  else buf.writeUInt16BE(value, pos);
}

export function pcapFileHeader(spec: PcapFileSpec = {}): Buffer {
  const le = spec.le ?? true;
  const header = Buffer.alloc(24);
  writeU32(header, 0, spec.nsec ? 0xa1b23c4d : 0xa1b2c3d4, le);
  writeU16(header, 4, 2, le);
  writeU16(header, 6, 4, le);
  writeU32(header, 16, spec.snaplen ?? 262144, le);
  writeU32(header, 20, spec.linkType ?? 1, le);
  return header;
}

export function pcapRecord(record: PcapRecordSpec, le = true): Buffer {
  const header = Buffer.alloc(16);
  writeU32(header, 0, record.sec, le);
  writeU32(header, 4, record.frac, le);
  writeU32(header, 8, record.data.length, le);
  writeU32(header, 12, record.origLength ?? record.data.length, le);
  return Buffer.concat([header, record.data]);
}

export function buildPcap(spec: PcapFileSpec, records: PcapRecordSpec[]): Buffer {
  return Buffer.concat([pcapFileHeader(spec), ...records.map((r) => pcapRecord(r, spec.le ?? true))]);
}

/** Offsets of every record of a (valid, little- or big-endian) pcap, plus the end offset. */
export function pcapRecordOffsets(file: Buffer): number[] {
  const le = file.readUInt32LE(0) === 0xa1b2c3d4 || file.readUInt32LE(0) === 0xa1b23c4d;
  const offsets: number[] = [];
  let pos = 24;
  while (pos < file.length) {
    offsets.push(pos);
    pos += 16 + (le ? file.readUInt32LE(pos + 8) : file.readUInt32BE(pos + 8));
  }
  offsets.push(pos);
  return offsets;
}

/** The same capture in the other byte order: every header field swapped, packet bytes kept. */
export function pcapToBigEndian(file: Buffer): Buffer {
  const out = Buffer.from(file);
  out.writeUInt32BE(file.readUInt32LE(0), 0);
  out.writeUInt16BE(file.readUInt16LE(4), 4);
  out.writeUInt16BE(file.readUInt16LE(6), 6);
  for (const field of [8, 12, 16, 20]) out.writeUInt32BE(file.readUInt32LE(field), field);
  const offsets = pcapRecordOffsets(file);
  for (const pos of offsets.slice(0, -1)) {
    for (let field = 0; field < 16; field += 4) out.writeUInt32BE(file.readUInt32LE(pos + field), pos + field);
  }
  return out;
}

// ------------------------------------------------------------------ pcapng

export const SHB = 0x0a0d0d0a;
export const IDB = 1;
export const PB = 2;
export const SPB = 3;
export const NRB = 4;
export const ISB = 5;
export const EPB = 6;
export const CUSTOM = 0x00000bad;
export const CUSTOM_NO_COPY = 0x40000bad;

function pad4(buf: Buffer): Buffer {
  const padding = (4 - (buf.length % 4)) % 4;
  return padding === 0 ? buf : Buffer.concat([buf, Buffer.alloc(padding)]);
}

/** One option: code, length, value padded to 32 bits. */
export function option(code: number, value: Buffer, le = true): Buffer {
  const header = Buffer.alloc(4);
  writeU16(header, 0, code, le);
  writeU16(header, 2, value.length, le);
  return Buffer.concat([header, pad4(value)]);
}

/** An options list closed by opt_endofopt; empty when there are no options. */
export function options(list: Buffer[], le = true): Buffer {
  return list.length === 0 ? Buffer.alloc(0) : Buffer.concat([...list, option(0, Buffer.alloc(0), le)]);
}

export function commentOption(text: string, le = true): Buffer {
  return option(1, Buffer.from(text, 'utf8'), le);
}

export function tsresolOption(value: number, le = true): Buffer {
  return option(9, Buffer.from([value]), le);
}

export function tsoffsetOption(seconds: bigint, le = true): Buffer {
  const value = Buffer.alloc(8);
  if (le) value.writeBigInt64LE(seconds);
  else value.writeBigInt64BE(seconds);
  return option(14, value, le);
}

/** Frames a block body: type, total length, body (padded), total length. */
export function block(type: number, body: Buffer, le = true): Buffer {
  const padded = pad4(body);
  const length = 12 + padded.length;
  const head = Buffer.alloc(8);
  writeU32(head, 0, type, le);
  writeU32(head, 4, length, le);
  const tail = Buffer.alloc(4);
  writeU32(tail, 0, length, le);
  return Buffer.concat([head, padded, tail]);
}

export function shb(le = true, opts: Buffer[] = []): Buffer {
  const fixed = Buffer.alloc(16);
  writeU32(fixed, 0, 0x1a2b3c4d, le);
  writeU16(fixed, 4, 1, le);
  writeU16(fixed, 6, 0, le);
  fixed.fill(0xff, 8, 16); // section length: unknown (-1)
  return block(SHB, Buffer.concat([fixed, options(opts, le)]), le);
}

export function idb(le: boolean, linkType: number, snaplen: number, opts: Buffer[] = []): Buffer {
  const fixed = Buffer.alloc(8);
  writeU16(fixed, 0, linkType, le);
  writeU32(fixed, 4, snaplen, le);
  return block(IDB, Buffer.concat([fixed, options(opts, le)]), le);
}

export interface PacketSpec {
  interfaceId?: number;
  /** The 64-bit timestamp in the interface's units. */
  units: bigint;
  data: Buffer;
  origLength?: number;
  opts?: Buffer[];
}

function packetBody(le: boolean, p: PacketSpec, obsolete: boolean): Buffer {
  const fixed = Buffer.alloc(20);
  if (obsolete) {
    writeU16(fixed, 0, p.interfaceId ?? 0, le);
    writeU16(fixed, 2, 0, le); // drops count
  } else {
    writeU32(fixed, 0, p.interfaceId ?? 0, le);
  }
  writeU32(fixed, 4, Number(p.units >> 32n), le);
  writeU32(fixed, 8, Number(p.units & 0xffffffffn), le);
  writeU32(fixed, 12, p.data.length, le);
  writeU32(fixed, 16, p.origLength ?? p.data.length, le);
  return Buffer.concat([fixed, pad4(p.data), options(p.opts ?? [], le)]);
}

export function epb(le: boolean, p: PacketSpec): Buffer {
  return block(EPB, packetBody(le, p, false), le);
}

/** The obsolete Packet Block (type 2): a 16-bit interface id and a drops count. */
export function pb(le: boolean, p: PacketSpec): Buffer {
  return block(PB, packetBody(le, p, true), le);
}

export function spb(le: boolean, data: Buffer, origLength = data.length): Buffer {
  const fixed = Buffer.alloc(4);
  writeU32(fixed, 0, origLength, le);
  return block(SPB, Buffer.concat([fixed, pad4(data)]), le);
}

/** A custom block (0xBAD / 0x40000BAD): Private Enterprise Number, then opaque data. */
export function customBlock(type: number, pen: number, data: Buffer, le = true): Buffer {
  const head = Buffer.alloc(4);
  writeU32(head, 0, pen, le);
  return block(type, Buffer.concat([head, data]), le);
}

/** Offsets of every block of a valid pcapng, plus the end offset (byte order per section). */
export function pcapngBlockOffsets(file: Buffer): number[] {
  const offsets: number[] = [];
  let pos = 0;
  let le = true;
  while (pos < file.length) {
    offsets.push(pos);
    if (file.readUInt32LE(pos) === SHB) le = file.readUInt32LE(pos + 8) === 0x1a2b3c4d;
    pos += le ? file.readUInt32LE(pos + 4) : file.readUInt32BE(pos + 4);
  }
  offsets.push(pos);
  return offsets;
}

/** Width of each numeric option value per block type (0: bytes or text, kept as they are). */
const OPTION_WIDTHS: Record<number, Record<number, number[]>> = {
  [SHB]: { 1: [0], 2: [0], 3: [0], 4: [0] },
  // if_name, if_description, IPv4/IPv6/MAC/EUI addresses, if_speed, if_tsresol, if_tzone,
  // if_filter, if_os, if_fcslen, if_tsoffset, if_hardware, if_txspeed, if_rxspeed
  [IDB]: { 1: [0], 2: [0], 3: [0], 4: [0], 5: [0], 6: [0], 7: [0], 8: [8], 9: [0], 10: [4], 11: [0], 12: [0], 13: [0], 14: [8], 15: [0], 16: [8], 17: [8] },
  // comment, flags, hash, dropcount, packetid, queue, verdict
  [EPB]: { 1: [0], 2: [4], 3: [0], 4: [8], 5: [8], 6: [4], 7: [0] },
  // comment, starttime and endtime (two 32-bit halves), then 64-bit counters
  [ISB]: { 1: [0], 2: [4, 4], 3: [4, 4], 4: [8], 5: [8], 6: [8], 7: [8], 8: [8] },
};

/** Fixed fields after the block length, as widths of the numbers in them. */
const FIXED_FIELDS: Record<number, number[]> = {
  [SHB]: [4, 2, 2, 8],
  [IDB]: [2, 2, 4],
  [ISB]: [4, 4, 4],
};

function swap(buf: Buffer, out: Buffer, pos: number, width: number): void {
  if (width === 2) out.writeUInt16BE(buf.readUInt16LE(pos), pos);
  if (width === 4) out.writeUInt32BE(buf.readUInt32LE(pos), pos);
  if (width === 8) out.writeBigUInt64BE(buf.readBigUInt64LE(pos), pos);
}

function swapOptions(file: Buffer, out: Buffer, type: number, pos: number, end: number): void {
  const widths = OPTION_WIDTHS[type]!;
  while (pos + 4 <= end) {
    const code = file.readUInt16LE(pos);
    const length = file.readUInt16LE(pos + 2);
    swap(file, out, pos, 2);
    swap(file, out, pos + 2, 2);
    if (code === 0) return;
    const fields = widths[code];
    if (fields === undefined) throw new Error(`no byte-order rule for option ${code} of block ${type}`);
    let at = pos + 4;
    for (const width of fields) {
      swap(file, out, at, width);
      at += width;
    }
    pos += 4 + ((length + 3) & ~3);
  }
}

/**
 * A little-endian pcapng rewritten as big-endian, field by field, for the blocks and options
 * Wireshark writes (SHB, IDB, EPB, ISB); anything else throws, so the copy is never partial.
 */
export function pcapngToBigEndian(file: Buffer): Buffer {
  const out = Buffer.from(file);
  const offsets = pcapngBlockOffsets(file);
  for (const pos of offsets.slice(0, -1)) {
    const type = file.readUInt32LE(pos);
    const length = file.readUInt32LE(pos + 4);
    swap(file, out, pos, 4);
    swap(file, out, pos + 4, 4);
    swap(file, out, pos + length - 4, 4);
    let at = pos + 8;
    if (type === EPB) {
      for (let field = 0; field < 5; field++, at += 4) swap(file, out, at, 4);
      at += (file.readUInt32LE(pos + 20) + 3) & ~3;
    } else {
      const fixed = FIXED_FIELDS[type];
      if (fixed === undefined) throw new Error(`no byte-order rule for block type ${type}`);
      for (const width of fixed) {
        swap(file, out, at, width);
        at += width;
      }
    }
    swapOptions(file, out, type, at, pos + length - 4);
  }
  return out;
}

/** A stream of `bytes` in chunks of `size`. */
export async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let pos = 0; pos < bytes.length; pos += size) yield bytes.subarray(pos, pos + size);
}
