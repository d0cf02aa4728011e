// Test helpers for the network stage: a classic-pcap reader (so these tests need nothing from
// src/capture), a decode-everything wrapper, a minimal UDP/TCP port reader, tshark oracle files,
// and the IPv4 header arithmetic needed to rebuild fragments.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { DecodeWarning, IpPacket, RawPacket } from '../../src/model.js';
import { NetworkDecoder, type NetworkDecoderOptions } from '../../src/net/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The shared corpus sits beside the work tree (../shared/corpus), in CI as here. */
export const CORPUS = join(HERE, '../../../shared/corpus');
export const FIXTURES = join(HERE, '../fixtures/net');

export interface PcapFile {
  linkType: number;
  packets: RawPacket[];
}

/** Reads a classic pcap (either byte order, microsecond or nanosecond magic). */
export function readPcap(path: string): PcapFile {
  const file = readFileSync(path);
  const magic = file.readUInt32LE(0);
  const littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const bigEndianMagic = file.readUInt32BE(0);
  if (!littleEndian && bigEndianMagic !== 0xa1b2c3d4 && bigEndianMagic !== 0xa1b23c4d) throw new Error(`${path}: not a pcap file`);
  const nanosecond = (littleEndian ? magic : bigEndianMagic) === 0xa1b23c4d;
  const u32 = (offset: number) => (littleEndian ? file.readUInt32LE(offset) : file.readUInt32BE(offset));
  const linkType = u32(20);
  const packets: RawPacket[] = [];
  for (let offset = 24; offset + 16 <= file.length; ) {
    const captured = u32(offset + 8);
    const original = u32(offset + 12);
    const fraction = u32(offset + 4);
    packets.push({
      frame: packets.length + 1,
      ts: { sec: u32(offset), nsec: nanosecond ? fraction : fraction * 1000, digits: nanosecond ? 9 : 6 },
      linkType,
      data: file.subarray(offset + 16, offset + 16 + captured),
      origLength: original,
      truncated: captured < original,
      fileOffset: offset,
      interfaceIndex: 0,
    });
    offset += 16 + captured;
  }
  return { linkType, packets };
}

/** An emitted datagram with its payload copied (the decoder's view is valid only during emit). */
export interface Datagram extends IpPacket {
  /** Frame of the packet being decoded when the datagram was emitted (the one that completed it). */
  emittedAt: number;
  srcPort: number | null;
  dstPort: number | null;
}

export interface DecodeOutcome {
  datagrams: Datagram[];
  warnings: DecodeWarning[];
  decoder: NetworkDecoder;
}

/** Decodes every packet, then calls finish(). */
export function decodeAll(packets: RawPacket[], options?: NetworkDecoderOptions): DecodeOutcome {
  const warnings: DecodeWarning[] = [];
  const datagrams: Datagram[] = [];
  const decoder = new NetworkDecoder((w) => warnings.push(w), options);
  for (const packet of packets) {
    decoder.decode(packet, (ip) => {
      const ports = transportPorts(ip);
      datagrams.push({ ...ip, payload: Buffer.from(ip.payload), frames: [...ip.frames], emittedAt: packet.frame, srcPort: ports?.[0] ?? null, dstPort: ports?.[1] ?? null });
    });
  }
  decoder.finish();
  return { datagrams, warnings, decoder };
}

/** Source and destination ports of a UDP (17) or TCP (6) datagram: both start with them. */
export function transportPorts(ip: IpPacket): [number, number] | null {
  if ((ip.protocol !== 17 && ip.protocol !== 6) || ip.payload.length < 4) return null;
  return [ip.payload.readUInt16BE(0), ip.payload.readUInt16BE(2)];
}

/** "ip:port", IPv6 as "[addr]:port", as in the corpus messages.json. */
export function endpoint(version: 4 | 6, address: string, port: number | null): string {
  return version === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

export interface OracleRow {
  frame: number;
  version: 4 | 6;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  cseq: string;
  /** Frames of the reassembled datagram, as tshark lists them; empty when not fragmented. */
  fragments: number[];
}

/** Reads NAME.tshark.tsv (written by test/fixtures/net/oracle.sh): the innermost IP header of each SIP datagram. */
export function readOracle(name: string): OracleRow[] {
  const text = readFileSync(join(FIXTURES, `${name}.tshark.tsv`), 'utf8');
  const last = (list: string) => list.split(',').at(-1)!;
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [frame, protocols, ipSrc, ipDst, ip6Src, ip6Dst, srcPort, dstPort, cseq, ipFragments, ip6Fragments] = line.split('\t') as [string, ...string[]];
      const innermost = protocols!.split(':').filter((p) => p === 'ip' || p === 'ipv6').at(-1);
      const version = innermost === 'ipv6' ? 6 : 4;
      const fragments = ipFragments || ip6Fragments;
      return {
        frame: Number(frame),
        version,
        src: last(version === 6 ? ip6Src! : ipSrc!),
        dst: last(version === 6 ? ip6Dst! : ipDst!),
        srcPort: Number(last(srcPort!)),
        dstPort: Number(last(dstPort!)),
        cseq: cseq!,
        fragments: fragments ? fragments.split(',').map(Number) : [],
      };
    });
}

/** The datagram emitted while decoding `frame` whose ports are the given ones. */
export function findDatagram(datagrams: Datagram[], frame: number, srcPort: number, dstPort: number): Datagram | undefined {
  return datagrams.find((d) => d.emittedAt === frame && d.srcPort === srcPort && d.dstPort === dstPort);
}

/** RFC 1071 Internet checksum. */
export function internetChecksum(buf: Buffer): number {
  let sum = 0;
  for (let i = 0; i < buf.length; i += 2) sum += (buf[i]! << 8) | (i + 1 < buf.length ? buf[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A 20-byte IPv4 header (checksum computed) for a fragment of `dataLength` bytes at byte `offset`. */
export function ipv4FragmentHeader(template: Buffer, dataLength: number, offset: number, more: boolean): Buffer {
  const header = Buffer.from(template.subarray(0, 20));
  header[0] = 0x45;
  header.writeUInt16BE(20 + dataLength, 2);
  header.writeUInt16BE((more ? 0x2000 : 0) | (offset / 8), 6);
  header.writeUInt16BE(0, 10);
  header.writeUInt16BE(internetChecksum(header), 10);
  return header;
}

/** A packet with other bytes but the same capture metadata. */
export function withData(packet: RawPacket, data: Buffer, frame = packet.frame): RawPacket {
  return { ...packet, frame, data, origLength: data.length, truncated: false };
}

/** An IPv4 datagram 198.51.100.1 -> 198.51.100.2 around `payload`, header checksum computed. */
export function ipv4Packet(protocol: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(20);
  header[0] = 0x45;
  header.writeUInt16BE(20 + payload.length, 2);
  header[8] = 64;
  header[9] = protocol;
  header.set([198, 51, 100, 1, 198, 51, 100, 2], 12);
  header.writeUInt16BE(internetChecksum(header), 10);
  return Buffer.concat([header, payload]);
}
