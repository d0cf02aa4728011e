// Export of chosen packets as a classic pcap file (pcap-savefile(5)), the way Wireshark's
// "Export Specified Packets" does it: the capture is read again and the frames asked for are
// copied unchanged, with their link type and timestamps. And, for anonymised shares, a pcap
// built from scratch: each SIP message in an Ethernet / IP / UDP frame whose addresses are
// given (pseudonyms), since the original frames would carry the real ones.
import { createReadStream } from 'node:fs';
import { isIPv4 } from 'node:net';
import { Transform, type Readable, type Writable } from 'node:stream';
import { readCapture } from '../capture/index.js';
import type { Timestamp } from '../model.js';

/** pcap magic numbers as written in the file's (our: little-endian) byte order. */
const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;
const GLOBAL_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
/** Snap length announced in the header: the largest packet libpcap captures by default. */
const SNAPLEN = 262144;
export const LINKTYPE_ETHERNET = 1;

const ETHERNET_HEADER_BYTES = 14;
const IPV4_HEADER_BYTES = 20;
const IPV6_HEADER_BYTES = 40;
const UDP_HEADER_BYTES = 8;
/** Largest UDP payload an IPv4 datagram can carry (65535 - 20 - 8). */
export const MAX_UDP_PAYLOAD = 65507;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const IP_PROTOCOL_UDP = 17;
/** Locally administered MAC addresses (the 0x02 bit) for the synthetic frames. */
const MAC_SOURCE = Buffer.from([0x02, 0, 0, 0, 0, 0x01]);
const MAC_DESTINATION = Buffer.from([0x02, 0, 0, 0, 0, 0x02]);

/** The 24-byte file header. */
export function pcapGlobalHeader(linkType: number, nanoseconds: boolean): Buffer {
  const b = Buffer.alloc(GLOBAL_HEADER_BYTES);
  b.writeUInt32LE(nanoseconds ? MAGIC_NANOSECONDS : MAGIC_MICROSECONDS, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeInt32LE(0, 8); // thiszone: timestamps are UTC
  b.writeUInt32LE(0, 12); // sigfigs
  b.writeUInt32LE(SNAPLEN, 16);
  b.writeUInt32LE(linkType, 20);
  return b;
}

/** One record: header and a copy of the data (the caller's buffer may be reused after the call). */
export function pcapRecord(ts: Timestamp, data: Buffer, origLength: number, nanoseconds: boolean): Buffer {
  const b = Buffer.allocUnsafe(RECORD_HEADER_BYTES + data.length);
  b.writeUInt32LE(ts.sec >>> 0, 0);
  b.writeUInt32LE(nanoseconds ? ts.nsec : Math.floor(ts.nsec / 1000), 4);
  b.writeUInt32LE(data.length, 8);
  b.writeUInt32LE(Math.max(origLength, data.length), 12);
  data.copy(b, RECORD_HEADER_BYTES);
  return b;
}

/**
 * Writes to `out` as fast as it drains: `write` queues a buffer, and the returned gate (put
 * between the source and the reader) holds the next chunk back while `out` is full.
 */
function drainingWriter(out: Writable): { write(b: Buffer): void; gate: Transform } {
  let waiting: Promise<void> | null = null;
  const write = (b: Buffer) => {
    if (!out.write(b) && waiting === null) {
      waiting = new Promise<void>((resolve) => {
        const done = () => {
          out.off('drain', done);
          out.off('close', done);
          waiting = null;
          resolve();
        };
        out.on('drain', done);
        out.on('close', done);
      });
    }
  };
  const gate = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (out.destroyed) callback(new Error('the output was closed'));
      else if (waiting === null) callback(null, chunk);
      else waiting.then(() => callback(out.destroyed ? new Error('the output was closed') : null, chunk));
    },
  });
  return { write, gate };
}

export interface FrameExportResult {
  /** Frames written. */
  packets: number;
  linkType: number;
  /** Frames asked for but left out because their link type differs from the first one's (a classic pcap has one). */
  skippedLinkType: number;
}

/**
 * Reads the capture in `source` (a path or a stream; gzip too) and writes the frames whose
 * numbers are in `frames` to `out` as a classic pcap, nanosecond-stamped when the capture's
 * timestamps have more than microsecond digits. Does not end `out`.
 */
export async function exportFrames(source: string | Readable, frames: ReadonlySet<number>, out: Writable): Promise<FrameExportResult> {
  const { write, gate } = drainingWriter(out);
  let header: { linkType: number; nanoseconds: boolean } | null = null;
  let packets = 0;
  let skippedLinkType = 0;
  const input = typeof source === 'string' ? createReadStream(source, { highWaterMark: 4 * 1024 * 1024 }) : source;
  input.on('error', (e: Error) => gate.destroy(e));
  input.pipe(gate);
  const info = await readCapture(gate, {
    packet(p) {
      if (!frames.has(p.frame)) return;
      if (header === null) {
        header = { linkType: p.linkType, nanoseconds: p.ts.digits > 6 };
        write(pcapGlobalHeader(header.linkType, header.nanoseconds));
      }
      if (p.linkType !== header.linkType) {
        skippedLinkType++;
        return;
      }
      write(pcapRecord(p.ts, p.data, p.origLength, header.nanoseconds));
      packets++;
    },
    warning() {},
  });
  if (header === null) {
    header = { linkType: info.linkTypes[0] ?? LINKTYPE_ETHERNET, nanoseconds: false };
    write(pcapGlobalHeader(header.linkType, false));
  }
  return { packets, linkType: header.linkType, skippedLinkType };
}

/** Splits "ip:port" / "[ipv6]:port". */
export function parseEndpoint(endpoint: string): { ip: string; port: number } {
  if (endpoint.startsWith('[')) {
    const close = endpoint.indexOf(']');
    return { ip: endpoint.slice(1, close), port: Number(endpoint.slice(close + 2)) };
  }
  const colon = endpoint.lastIndexOf(':');
  return { ip: endpoint.slice(0, colon), port: Number(endpoint.slice(colon + 1)) };
}

function ipv4Bytes(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

/** The 16 bytes of an IPv6 address in text form (with at most one "::"). */
function ipv6Bytes(ip: string): Buffer {
  const [left, right] = ip.includes('::') ? ip.split('::') as [string, string] : [ip, null];
  const groups = (s: string | null) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const head = groups(left);
  const tail = groups(right);
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const b = Buffer.alloc(16);
  all.forEach((g, i) => b.writeUInt16BE(g, 2 * i));
  return b;
}

/** RFC 1071 one's complement sum of 16-bit words, folded. */
function onesComplementSum(buffers: Buffer[]): number {
  let sum = 0;
  for (const b of buffers) {
    for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
    if (b.length % 2 === 1) sum += b[b.length - 1]! << 8;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function checksum(buffers: Buffer[]): number {
  return ~onesComplementSum(buffers) & 0xffff;
}

/**
 * An Ethernet frame carrying `payload` in UDP from `src` to `dst` ("ip:port", both IPv4 or
 * both IPv6), with valid IP and UDP checksums (RFC 768, RFC 8200 §8.1). Payloads beyond one
 * datagram are cut to MAX_UDP_PAYLOAD.
 */
export function udpFrame(src: string, dst: string, payload: Buffer): Buffer {
  const from = parseEndpoint(src);
  const to = parseEndpoint(dst);
  const data = payload.subarray(0, MAX_UDP_PAYLOAD);
  const v4 = isIPv4(from.ip);
  const ipHeaderBytes = v4 ? IPV4_HEADER_BYTES : IPV6_HEADER_BYTES;
  const frame = Buffer.alloc(ETHERNET_HEADER_BYTES + ipHeaderBytes + UDP_HEADER_BYTES + data.length);
  MAC_DESTINATION.copy(frame, 0);
  MAC_SOURCE.copy(frame, 6);
  frame.writeUInt16BE(v4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6, 12);
  const ip = frame.subarray(ETHERNET_HEADER_BYTES, ETHERNET_HEADER_BYTES + ipHeaderBytes);
  const udp = frame.subarray(ETHERNET_HEADER_BYTES + ipHeaderBytes);
  const udpLength = UDP_HEADER_BYTES + data.length;
  const srcBytes = v4 ? ipv4Bytes(from.ip) : ipv6Bytes(from.ip);
  const dstBytes = v4 ? ipv4Bytes(to.ip) : ipv6Bytes(to.ip);
  if (v4) {
    ip[0] = 0x45; // version 4, 5 words of header
    ip.writeUInt16BE(IPV4_HEADER_BYTES + udpLength, 2);
    ip.writeUInt16BE(0x4000, 6); // don't fragment
    ip[8] = 64; // TTL
    ip[9] = IP_PROTOCOL_UDP;
    srcBytes.copy(ip, 12);
    dstBytes.copy(ip, 16);
    ip.writeUInt16BE(checksum([ip]), 10);
  } else {
    ip[0] = 0x60; // version 6
    ip.writeUInt16BE(udpLength, 4);
    ip[6] = IP_PROTOCOL_UDP;
    ip[7] = 64; // hop limit
    srcBytes.copy(ip, 8);
    dstBytes.copy(ip, 24);
  }
  udp.writeUInt16BE(from.port, 0);
  udp.writeUInt16BE(to.port, 2);
  udp.writeUInt16BE(udpLength, 4);
  data.copy(udp, UDP_HEADER_BYTES);
  // Pseudo-header: addresses, protocol, UDP length (RFC 768; RFC 8200 §8.1 for IPv6).
  const pseudo = Buffer.alloc(v4 ? 12 : 40);
  if (v4) {
    srcBytes.copy(pseudo, 0);
    dstBytes.copy(pseudo, 4);
    pseudo[9] = IP_PROTOCOL_UDP;
    pseudo.writeUInt16BE(udpLength, 10);
  } else {
    srcBytes.copy(pseudo, 0);
    dstBytes.copy(pseudo, 16);
    pseudo.writeUInt32BE(udpLength, 32);
    pseudo[39] = IP_PROTOCOL_UDP;
  }
  const sum = checksum([pseudo, udp]);
  udp.writeUInt16BE(sum === 0 ? 0xffff : sum, 6);
  return frame;
}
