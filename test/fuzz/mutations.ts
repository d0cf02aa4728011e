// The damage the fuzz tests do to real captures, each as a small pure function over the file
// bytes: corrupted length fields (capture framing and packet headers), absurd snap lengths,
// and rebuilt captures with records replaced (nesting, fragment floods, re-segmented TCP).
// Offsets follow pcap-savefile(5) and draft-ietf-opsawg-pcapng; the corpus files are
// little-endian, Ethernet (DLT 1) or Linux cooked v1 (DLT 113).
import { epb, pcapRecord } from '../capture/builders.js';
import { internetChecksum } from '../net/helpers.js';
import { type CorpusCapture, type PacketRecord, packetDataLength, packetDataOffset } from './corpus.js';

// ------------------------------------------------------------------ capture framing

/** The length fields of a record's framing. */
export type FramingField = 'caplen' | 'origlen' | 'blockLength' | 'trailingLength';

export function framingFields(format: 'pcap' | 'pcapng'): FramingField[] {
  return format === 'pcap' ? ['caplen', 'origlen'] : ['blockLength', 'trailingLength', 'caplen', 'origlen'];
}

function framingFieldOffset(capture: CorpusCapture, record: PacketRecord, field: FramingField): number {
  if (capture.format === 'pcap') return record.start + (field === 'caplen' ? 8 : 12);
  switch (field) {
    case 'blockLength':
      return record.start + 4;
    case 'trailingLength':
      return record.end - 4;
    case 'caplen':
      return record.start + 20;
    default:
      return record.start + 24;
  }
}

/** A copy of the capture with one 32-bit length field of `record` set to `value`. */
export function withFramingField(capture: CorpusCapture, record: PacketRecord, field: FramingField, value: number): Buffer {
  const copy = Buffer.from(capture.bytes);
  copy.writeUInt32LE(value >>> 0, framingFieldOffset(capture, record, field));
  return copy;
}

export function framingFieldValue(capture: CorpusCapture, record: PacketRecord, field: FramingField): number {
  return capture.bytes.readUInt32LE(framingFieldOffset(capture, record, field));
}

/** Offsets of the snap length fields: the pcap file header's, or every IDB's. */
export function snapLengthOffsets(capture: CorpusCapture): number[] {
  if (capture.format === 'pcap') return [16];
  return capture.boundaries.slice(0, -1).filter((pos) => capture.bytes.readUInt32LE(pos) === 1).map((pos) => pos + 12);
}

export function withSnapLength(capture: CorpusCapture, snaplen: number): Buffer {
  const copy = Buffer.from(capture.bytes);
  for (const at of snapLengthOffsets(capture)) copy.writeUInt32LE(snaplen >>> 0, at);
  return copy;
}

// ------------------------------------------------------------------ packet headers

export interface PacketHeaders {
  /** File offsets (not packet offsets) of each header. */
  ip: number;
  version: 4 | 6;
  /** IPv4 only: header length in bytes. */
  ipHeaderLength: number;
  protocol: number;
  l4: number;
  /** TCP or UDP payload: file offsets of its first byte and one past its last. */
  payload: number;
  payloadEnd: number;
}

/** The IP and transport headers of a record's packet, or null when it carries neither UDP nor TCP over IP. */
export function packetHeaders(capture: CorpusCapture, record: PacketRecord): PacketHeaders | null {
  const file = capture.bytes;
  const data = packetDataOffset(capture, record);
  const dataEnd = data + packetDataLength(capture, record);
  const linkType = capture.format === 'pcap' ? file.readUInt32LE(20) : file.readUInt16LE(capture.boundaries[1]! + 8);
  const [etherTypeAt, ip] = linkType === 113 ? [data + 14, data + 16] : [data + 12, data + 14];
  const etherType = file.readUInt16BE(etherTypeAt);
  let version: 4 | 6;
  let ipHeaderLength: number;
  let protocol: number;
  let ipEnd: number;
  if (etherType === 0x0800) {
    version = 4;
    ipHeaderLength = (file[ip]! & 0x0f) * 4;
    protocol = file[ip + 9]!;
    ipEnd = ip + file.readUInt16BE(ip + 2);
    if ((file.readUInt16BE(ip + 6) & 0x3fff) !== 0) return null; // a fragment: no transport header of its own
  } else if (etherType === 0x86dd) {
    version = 6;
    ipHeaderLength = 40;
    protocol = file[ip + 6]!;
    ipEnd = ip + 40 + file.readUInt16BE(ip + 4);
  } else {
    return null;
  }
  const l4 = ip + ipHeaderLength;
  if (ipEnd > dataEnd) return null;
  if (protocol === 17) return { ip, version, ipHeaderLength, protocol, l4, payload: l4 + 8, payloadEnd: ipEnd };
  if (protocol === 6) return { ip, version, ipHeaderLength, protocol, l4, payload: l4 + (file[l4 + 12]! >> 4) * 4, payloadEnd: ipEnd };
  return null;
}

/** Source and destination of an IPv4 packet as messages.json writes them ("ip:port"); null for IPv6. */
export function packetEndpoints(file: Buffer, headers: PacketHeaders): { src: string; dst: string } | null {
  if (headers.version !== 4) return null;
  const address = (at: number) => [...file.subarray(at, at + 4)].join('.');
  return {
    src: `${address(headers.ip + 12)}:${file.readUInt16BE(headers.l4)}`,
    dst: `${address(headers.ip + 16)}:${file.readUInt16BE(headers.l4 + 2)}`,
  };
}

/** The length fields inside a packet that the decoder trusts. */
export type HeaderField = 'ipTotalLength' | 'ipHeaderLength' | 'udpLength' | 'tcpDataOffset';

/** The header fields `headers` has, for the corruption property to choose from. */
export function headerFields(headers: PacketHeaders): HeaderField[] {
  const ip: HeaderField[] = headers.version === 4 ? ['ipTotalLength', 'ipHeaderLength'] : ['ipTotalLength'];
  return [...ip, headers.protocol === 17 ? 'udpLength' : 'tcpDataOffset'];
}

/**
 * A copy of `file` with one header field of the packet set from `raw` (masked to the field's
 * width). IPv6's payload length stands in for the total length.
 */
export function withHeaderField(file: Buffer, headers: PacketHeaders, field: HeaderField, raw: number): Buffer {
  const copy = Buffer.from(file);
  switch (field) {
    case 'ipTotalLength':
      copy.writeUInt16BE(raw & 0xffff, headers.version === 4 ? headers.ip + 2 : headers.ip + 4);
      break;
    case 'ipHeaderLength':
      copy[headers.ip] = 0x40 | (raw & 0x0f);
      break;
    case 'udpLength':
      copy.writeUInt16BE(raw & 0xffff, headers.l4 + 4);
      break;
    default:
      copy[headers.l4 + 12] = ((raw & 0x0f) << 4) | (copy[headers.l4 + 12]! & 0x0f);
  }
  return copy;
}

// ------------------------------------------------------------------ rebuilt captures

/** A capture rebuilt record by record, and the original frame of each new record (by its offset). */
export interface Rebuilt {
  bytes: Buffer;
  frameAt: Map<number, number>;
}

/** One new record: its packet bytes and the original frame it stands for (null: an added record). */
export interface NewRecord {
  data: Buffer;
  frame: number | null;
  /** The packet's length on the wire, when the record holds only part of it (a snap length cut). */
  wireLength?: number;
}

/** Timestamp fields of a record, as they are in the file. */
interface RecordTime {
  high: number;
  low: number;
}

function recordTime(capture: CorpusCapture, record: PacketRecord): RecordTime {
  const file = capture.bytes;
  return capture.format === 'pcap'
    ? { high: file.readUInt32LE(record.start), low: file.readUInt32LE(record.start + 4) }
    : { high: file.readUInt32LE(record.start + 12), low: file.readUInt32LE(record.start + 16) };
}

/**
 * Rebuilds the capture: each packet record is replaced by what `replace` returns for its packet
 * bytes (the same time for all of them); the file header, and pcapng's other blocks, are kept.
 */
export function rebuild(capture: CorpusCapture, replace: (record: PacketRecord, data: Buffer) => NewRecord[]): Rebuilt {
  const file = capture.bytes;
  const parts: Buffer[] = [];
  const frameAt = new Map<number, number>();
  let length = 0;
  const push = (part: Buffer, frame: number | null) => {
    if (frame !== null) frameAt.set(length, frame);
    parts.push(part);
    length += part.length;
  };
  const byStart = new Map(capture.packets.map((p) => [p.start, p]));
  const blocks = capture.format === 'pcap' ? [0, ...capture.packets.map((p) => p.start)] : capture.boundaries.slice(0, -1);
  for (let i = 0; i < blocks.length; i++) {
    const start = blocks[i]!;
    const record = byStart.get(start);
    if (record === undefined) {
      push(file.subarray(start, capture.format === 'pcap' ? 24 : capture.boundaries[i + 1]), null);
      continue;
    }
    const data = file.subarray(packetDataOffset(capture, record), packetDataOffset(capture, record) + packetDataLength(capture, record));
    const time = recordTime(capture, record);
    for (const replacement of replace(record, data)) push(newRecord(capture, time, replacement), replacement.frame);
  }
  return { bytes: Buffer.concat(parts), frameAt };
}

function newRecord(capture: CorpusCapture, time: RecordTime, record: NewRecord): Buffer {
  const { data, wireLength: origLength } = record;
  if (capture.format === 'pcap') return pcapRecord({ sec: time.high, frac: time.low, data, origLength });
  return epb(true, { units: (BigInt(time.high) << 32n) | BigInt(time.low), data, origLength });
}

// ------------------------------------------------------------------ packet builders

/** A 20-byte IPv4 header around `payload`, checksum computed, with the given addresses and fragment field. */
export function ipv4(protocol: number, payload: Buffer, options: { src?: number[]; dst?: number[]; id?: number; fragment?: number } = {}): Buffer {
  const header = Buffer.alloc(20);
  header[0] = 0x45;
  header.writeUInt16BE(20 + payload.length, 2);
  header.writeUInt16BE(options.id ?? 0, 4);
  header.writeUInt16BE(options.fragment ?? 0, 6);
  header[8] = 64;
  header[9] = protocol;
  header.set(options.src ?? [198, 51, 100, 1], 12);
  header.set(options.dst ?? [198, 51, 100, 2], 16);
  header.writeUInt16BE(internetChecksum(header), 10);
  return Buffer.concat([header, payload]);
}

export function ethernet(etherType: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(14);
  header.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1]);
  header.writeUInt16BE(etherType, 12);
  return Buffer.concat([header, payload]);
}

// ------------------------------------------------------------------ encapsulation

/** One level of encapsulation, each counting once against the decoder's depth bound. */
export type Layer = 'vlan' | 'qinq' | 'mpls' | 'ipip' | 'gre' | 'gretap' | 'vxlan';
export const LAYERS: Layer[] = ['vlan', 'qinq', 'mpls', 'ipip', 'gre', 'gretap', 'vxlan'];

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;

/** A payload and the EtherType that names it. */
interface Typed {
  etherType: number;
  bytes: Buffer;
}

function wrap(layer: Layer, inner: Typed): Typed {
  switch (layer) {
    case 'vlan':
    case 'qinq': {
      const tag = Buffer.alloc(4);
      tag.writeUInt16BE(100, 0);
      tag.writeUInt16BE(inner.etherType, 2);
      return { etherType: layer === 'vlan' ? 0x8100 : 0x88a8, bytes: Buffer.concat([tag, inner.bytes]) };
    }
    case 'mpls': {
      // One label, bottom of stack (RFC 3032 §2.1); MPLS can carry only IP here.
      if (inner.etherType !== ETHERTYPE_IPV4 && inner.etherType !== ETHERTYPE_IPV6) return wrap('gre', inner);
      return { etherType: 0x8847, bytes: Buffer.concat([Buffer.from([0x00, 0x01, 0x01, 0x40]), inner.bytes]) };
    }
    case 'ipip':
      if (inner.etherType !== ETHERTYPE_IPV4) return wrap('gre', inner);
      return { etherType: ETHERTYPE_IPV4, bytes: ipv4(4, inner.bytes) };
    case 'gre': {
      const header = Buffer.alloc(4);
      header.writeUInt16BE(inner.etherType, 2);
      return { etherType: ETHERTYPE_IPV4, bytes: ipv4(47, Buffer.concat([header, inner.bytes])) };
    }
    case 'gretap': {
      const header = Buffer.from([0, 0, 0x65, 0x58]);
      return { etherType: ETHERTYPE_IPV4, bytes: ipv4(47, Buffer.concat([header, ethernet(inner.etherType, inner.bytes)])) };
    }
    default: {
      // VXLAN (RFC 7348): UDP to 4789, flags with I set, VNI.
      const frame = ethernet(inner.etherType, inner.bytes);
      const udp = Buffer.alloc(16);
      udp.writeUInt16BE(40000, 0);
      udp.writeUInt16BE(4789, 2);
      udp.writeUInt16BE(16 + frame.length, 4);
      udp[8] = 0x08;
      udp.writeUIntBE(42, 12, 3);
      return { etherType: ETHERTYPE_IPV4, bytes: ipv4(17, Buffer.concat([udp, frame])) };
    }
  }
}

/**
 * An Ethernet frame carrying the IP datagram of `frame` (an Ethernet frame) inside `layers`,
 * listed outermost first. Returns null when the datagram would outgrow an IPv4 packet.
 */
export function encapsulate(frame: Buffer, layers: Layer[]): Buffer | null {
  let typed: Typed = { etherType: frame.readUInt16BE(12), bytes: frame.subarray(14) };
  for (let i = layers.length - 1; i >= 0; i--) {
    typed = wrap(layers[i]!, typed);
    if (typed.bytes.length > 65535) return null;
  }
  return ethernet(typed.etherType, typed.bytes);
}

// ------------------------------------------------------------------ fragments and segments

/** An IPv4 fragment that never completes: More Fragments set, from 198.18.0.0/15 (benchmarking addresses). */
export function strayFragment(id: number, offset8: number, length: number, sourceHost: number): Buffer {
  const payload = Buffer.alloc(length & ~7, 0x5a);
  return ethernet(ETHERTYPE_IPV4, ipv4(17, payload, { src: [198, 18, (sourceHost >> 8) & 0xff, sourceHost & 0xff], dst: [198, 19, 0, 1], id, fragment: 0x2000 | (offset8 & 0x1fff) }));
}

/**
 * The TCP segment in `data` (an Ethernet/IPv4 frame) cut into pieces, each starting where its
 * cut says but reaching back `overlaps[i]` bytes into the previous piece, with the sequence
 * number, IP total length and IP checksum of each piece rewritten. The bytes are the segment's
 * own, so the overlaps agree. Returns the pieces in order.
 */
export function overlappingPieces(data: Buffer, cuts: number[], overlaps: number[]): Buffer[] {
  const ip = 14;
  const ipHeaderLength = (data[ip]! & 0x0f) * 4;
  const tcp = ip + ipHeaderLength;
  const payloadStart = tcp + (data[tcp + 12]! >> 4) * 4;
  const payloadEnd = ip + data.readUInt16BE(ip + 2);
  const length = payloadEnd - payloadStart;
  const points = [...new Set([0, ...cuts.map((c) => c % length), length])].sort((a, b) => a - b);
  const seq = data.readUInt32BE(tcp + 4);
  const pieces: Buffer[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const from = Math.max(0, points[i]! - (i === 0 ? 0 : overlaps[i % overlaps.length] ?? 0));
    const to = points[i + 1]!;
    const piece = Buffer.concat([data.subarray(0, payloadStart), data.subarray(payloadStart + from, payloadStart + to)]);
    piece.writeUInt16BE(piece.length - ip, ip + 2);
    piece.writeUInt16BE(0, ip + 10);
    piece.writeUInt16BE(internetChecksum(piece.subarray(ip, ip + ipHeaderLength)), ip + 10);
    piece.writeUInt32BE((seq + from) >>> 0, tcp + 4);
    pieces.push(piece);
  }
  return pieces;
}

/** Payload length of the TCP segment in an Ethernet/IPv4 frame (0 for anything else). */
export function tcpPayloadLength(data: Buffer): number {
  if (data.length < 34 || data.readUInt16BE(12) !== ETHERTYPE_IPV4 || data[14 + 9] !== 6) return 0;
  const ip = 14;
  const tcp = ip + (data[ip]! & 0x0f) * 4;
  return ip + data.readUInt16BE(ip + 2) - (tcp + (data[tcp + 12]! >> 4) * 4);
}
