// HEP, the Homer Encapsulation Protocol: capture agents (Kamailio, OpenSIPS, FreeSWITCH,
// captagent, heplify) send copies of SIP messages with the original endpoints and time.
// It has no RFC; the layouts below follow the HEP3 specification (sipcapture/HEP, HEP3 rev 12)
// and the agents' C structures for versions 1 and 2.
//
// HEP v1/v2, all fields in network byte order except the v2 time header:
//   0 version (1|2)   1 header length (8 + address bytes: 16 IPv4, 40 IPv6)
//   2 address family (2 = AF_INET, 10 = AF_INET6 on Linux)   3 IP protocol (17 UDP, 6 TCP)
//   4 source port     6 destination port
//   8 source address, destination address (4+4 or 16+16 bytes)
//   v2 only: struct hep_timehdr { u32 tv_sec; u32 tv_usec; u16 captid; } written in the sender's
//   byte order, 12 bytes with the C compiler's padding (10 when packed); then the SIP payload.
//
// HEP3: "HEP3", u16 total length (header included), then chunks
//   u16 vendor id (0 = generic), u16 chunk type, u16 chunk length (its 6-byte header included), data.
//   Generic types: 1 address family (u8), 2 IP protocol (u8), 3/4 IPv4 source/destination,
//   5/6 IPv6 source/destination, 7/8 source/destination port (u16), 9 time seconds (u32),
//   10 time microseconds (u32), 11 payload type (u8, 1 = SIP), 12 capture agent id,
//   13 keep-alive timer, 14 authentication key, 15 payload, 16 compressed payload
//   (deflate / gzip), 17 correlation id.
import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { IpVersion, SipTransport, Timestamp } from '../model.js';
import { formatIpv6 } from '../net/addresses.js';
import type { Endpoints, TransportContext } from './context.js';
import { NEED_MORE, skipLineBreaks, START_LINE_SIP, startLineStatus } from './sip-framing.js';

/** The capture a HEP packet describes. */
export interface HepCapture {
  endpoints: Endpoints;
  /** IP protocol of the captured packet: 17 UDP, 6 TCP, 132 SCTP. */
  protocol: number;
  /** Capture time from the HEP header (microseconds), or null when it carries none. */
  ts: Timestamp | null;
  /** The captured message (a view of the packet, or inflated bytes), or null when there is none. */
  payload: Buffer | null;
  /** HEP3 payload type (1 = SIP), or null when not given (v1/v2 carry SIP only). */
  payloadType: number | null;
}

const HEP_PAYLOAD_SIP = 1;
/** hep3Length: no "HEP3" packet starts here. */
export const NOT_HEP = -2;

const HEP3_MAGIC = 0x48455033; // "HEP3"
const HEP3_HEADER_LENGTH = 6;
const CHUNK_HEADER_LENGTH = 6;
const AF_INET = 2;
/** AF_INET6 differs by operating system: Linux, BSD, FreeBSD, Darwin. */
const AF_INET6_VALUES = [10, 24, 28, 30];
const HEP2_TIME_HEADER = 12;
const HEP2_TIME_HEADER_PACKED = 10;

const CHUNK_FAMILY = 1;
const CHUNK_PROTOCOL = 2;
const CHUNK_IPV4_SRC = 3;
const CHUNK_IPV4_DST = 4;
const CHUNK_IPV6_SRC = 5;
const CHUNK_IPV6_DST = 6;
const CHUNK_SRC_PORT = 7;
const CHUNK_DST_PORT = 8;
const CHUNK_TIME_SEC = 9;
const CHUNK_TIME_USEC = 10;
const CHUNK_PAYLOAD_TYPE = 11;
const CHUNK_PAYLOAD = 15;
const CHUNK_COMPRESSED_PAYLOAD = 16;

function ipv4Text(buf: Buffer, p: number): string {
  return `${buf[p]}.${buf[p + 1]}.${buf[p + 2]}.${buf[p + 3]}`;
}

/** True when "HEP3" starts at `off`. */
export function isHep3(buf: Buffer, off: number, end: number): boolean {
  return end - off >= 4 && buf.readUInt32BE(off) === HEP3_MAGIC;
}

/** Whether bytes at `off` may still become "HEP3" (a prefix cut by `end`). */
export function isHep3Prefix(buf: Buffer, off: number, end: number): boolean {
  const n = Math.min(4, end - off);
  for (let i = 0; i < n; i++) if (buf[off + i] !== 'HEP3'.charCodeAt(i)) return false;
  return true;
}

/** Length of the HEP3 packet at `off` (from its header), NEED_MORE, or NOT_HEP. For HEP over TCP. */
export function hep3Length(buf: Buffer, off: number, end: number): number {
  if (!isHep3Prefix(buf, off, end)) return NOT_HEP;
  if (end - off < HEP3_HEADER_LENGTH) return NEED_MORE;
  const length = buf.readUInt16BE(off + 4);
  return length < HEP3_HEADER_LENGTH ? NOT_HEP : length;
}

/**
 * Decodes the HEP3 packet in [off, end). Returns the capture, or a text saying why it could not
 * be read. `maxInflated` bounds a compressed payload once inflated.
 */
export function parseHep3(buf: Buffer, off: number, end: number, maxInflated: number): HepCapture | string {
  // buf may hold more than this packet (a whole captured frame): nothing past `end` is read.
  if (end - off < HEP3_HEADER_LENGTH) return 'HEP3 packet shorter than its header';
  const declared = buf.readUInt16BE(off + 4);
  if (declared < HEP3_HEADER_LENGTH) return 'HEP3 length field too small';
  const stop = Math.min(end, off + declared);
  let family = 0;
  let protocol = 17;
  let srcIp: string | null = null;
  let dstIp: string | null = null;
  let ipVersion: IpVersion | 0 = 0;
  let srcPort = 0;
  let dstPort = 0;
  let sec = -1;
  let usec = 0;
  let payloadType: number | null = null;
  let payload: Buffer | null = null;
  let compressed: Buffer | null = null;
  let p = off + HEP3_HEADER_LENGTH;
  while (p + CHUNK_HEADER_LENGTH <= stop) {
    const vendor = buf.readUInt16BE(p);
    const type = buf.readUInt16BE(p + 2);
    const length = buf.readUInt16BE(p + 4);
    if (length < CHUNK_HEADER_LENGTH || p + length > stop) return `HEP3 chunk ${type} has a bad length (${length})`;
    const d = p + CHUNK_HEADER_LENGTH;
    const n = length - CHUNK_HEADER_LENGTH;
    if (vendor === 0) {
      if (type === CHUNK_FAMILY && n >= 1) family = buf[d];
      else if (type === CHUNK_PROTOCOL && n >= 1) protocol = buf[d];
      else if (type === CHUNK_IPV4_SRC && n >= 4) { srcIp = ipv4Text(buf, d); ipVersion = 4; }
      else if (type === CHUNK_IPV4_DST && n >= 4) { dstIp = ipv4Text(buf, d); ipVersion = 4; }
      else if (type === CHUNK_IPV6_SRC && n >= 16) { srcIp = formatIpv6(buf, d); ipVersion = 6; }
      else if (type === CHUNK_IPV6_DST && n >= 16) { dstIp = formatIpv6(buf, d); ipVersion = 6; }
      else if (type === CHUNK_SRC_PORT && n >= 2) srcPort = buf.readUInt16BE(d);
      else if (type === CHUNK_DST_PORT && n >= 2) dstPort = buf.readUInt16BE(d);
      else if (type === CHUNK_TIME_SEC && n >= 4) sec = buf.readUInt32BE(d);
      else if (type === CHUNK_TIME_USEC && n >= 4) usec = buf.readUInt32BE(d);
      else if (type === CHUNK_PAYLOAD_TYPE && n >= 1) payloadType = buf[d];
      else if (type === CHUNK_PAYLOAD) payload = buf.subarray(d, d + n);
      else if (type === CHUNK_COMPRESSED_PAYLOAD) compressed = buf.subarray(d, d + n);
    }
    p += length;
  }
  if (srcIp === null || dstIp === null || ipVersion === 0) return 'HEP3 packet without source and destination addresses';
  if (family === AF_INET && ipVersion !== 4) return 'HEP3 address family and addresses disagree';
  if (payload === null && compressed !== null) {
    const inflated = inflatePayload(compressed, maxInflated);
    if (typeof inflated === 'string') return inflated;
    payload = inflated;
  }
  return {
    endpoints: { ipVersion, srcIp, srcPort, dstIp, dstPort },
    protocol,
    ts: sec >= 0 ? { sec, nsec: Math.min(usec, 999_999) * 1000, digits: 6 } : null,
    payload,
    payloadType,
  };
}

/** Inflates a compressed HEP3 payload: gzip, zlib or raw deflate, whichever its first bytes say. */
function inflatePayload(data: Buffer, maxOutputLength: number): Buffer | string {
  try {
    if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) return gunzipSync(data, { maxOutputLength });
    // A zlib header: CMF 0x78 (deflate, 32 KiB window) and a check value making CMF*256+FLG a multiple of 31.
    if (data.length >= 2 && (data[0] & 0x0f) === 8 && ((data[0] << 8) | data[1]) % 31 === 0) return inflateSync(data, { maxOutputLength });
    return inflateRawSync(data, { maxOutputLength });
  } catch (err) {
    return `HEP3 compressed payload could not be inflated (${(err as Error).message})`;
  }
}

/**
 * Decodes a HEP v1 or v2 packet in [off, end), or returns null when the bytes are not one. These
 * versions have no magic: the header must be consistent (version, header length matching the
 * address family, protocol UDP or TCP) and a SIP start line must follow it. The v2 time header
 * is in the sender's byte order; the reading closer to `captureTs` is taken.
 */
export function parseHep2(buf: Buffer, off: number, end: number, captureTs: Timestamp): HepCapture | null {
  if (end - off < 8) return null;
  const version = buf[off];
  const headerLength = buf[off + 1];
  const family = buf[off + 2];
  const protocol = buf[off + 3];
  if (version !== 1 && version !== 2) return null;
  if (protocol !== 17 && protocol !== 6) return null;
  let ipVersion: IpVersion;
  if (family === AF_INET && headerLength === 16) ipVersion = 4;
  else if (AF_INET6_VALUES.includes(family) && headerLength === 40) ipVersion = 6;
  else return null;
  let payloadStart = off + headerLength;
  let ts: Timestamp | null = null;
  if (version === 2) {
    const padded = payloadStart + HEP2_TIME_HEADER;
    const packed = payloadStart + HEP2_TIME_HEADER_PACKED;
    const timeAt = payloadStart;
    if (startLineStatus(buf, padded, end) === START_LINE_SIP) payloadStart = padded;
    else if (startLineStatus(buf, packed, end) === START_LINE_SIP) payloadStart = packed;
    else return null;
    ts = hep2Time(buf, timeAt, captureTs);
  } else if (startLineStatus(buf, payloadStart, end) !== START_LINE_SIP) {
    return null;
  }
  const a = off + 8;
  const addressLength = ipVersion === 4 ? 4 : 16;
  const srcIp = ipVersion === 4 ? ipv4Text(buf, a) : formatIpv6(buf, a);
  const dstIp = ipVersion === 4 ? ipv4Text(buf, a + addressLength) : formatIpv6(buf, a + addressLength);
  return {
    endpoints: { ipVersion, srcIp, srcPort: buf.readUInt16BE(off + 4), dstIp, dstPort: buf.readUInt16BE(off + 6) },
    protocol,
    ts,
    payload: buf.subarray(payloadStart, end),
    payloadType: null,
  };
}

/** The v2 time header read in the byte order that gives a time nearer the capture's own. */
function hep2Time(buf: Buffer, p: number, captureTs: Timestamp): Timestamp {
  const secLe = buf.readUInt32LE(p);
  const secBe = buf.readUInt32BE(p);
  const usecLe = buf.readUInt32LE(p + 4);
  const usecBe = buf.readUInt32BE(p + 4);
  const leValid = usecLe < 1_000_000;
  const beValid = usecBe < 1_000_000;
  const useBe = beValid && (!leValid || Math.abs(secBe - captureTs.sec) < Math.abs(secLe - captureTs.sec));
  const sec = useBe ? secBe : secLe;
  const usec = useBe ? usecBe : leValid ? usecLe : 0;
  return { sec, nsec: usec * 1000, digits: 6 };
}

/** The transport of the captured packet, from its IP protocol number. */
function transportOf(protocol: number): SipTransport {
  if (protocol === 6) return 'TCP';
  if (protocol === 132) return 'SCTP';
  return 'UDP';
}

/**
 * Emits the SIP message a HEP packet carries, with the endpoints, transport and time of the
 * original capture (the packet's own time when HEP gives none). Other payload types (RTCP
 * reports, logs) and keep-alives are skipped.
 */
export function emitHepCapture(ctx: TransportContext, hep: HepCapture, frame: number, frames: number[], packetTs: Timestamp): void {
  if (hep.payloadType !== null && hep.payloadType !== HEP_PAYLOAD_SIP) return;
  const payload = hep.payload;
  if (payload === null) return;
  const start = skipLineBreaks(payload, 0, payload.length);
  if (startLineStatus(payload, start, payload.length) !== START_LINE_SIP) return;
  ctx.emitSip(payload.subarray(start), frame, frames, hep.ts ?? packetTs, hep.endpoints, transportOf(hep.protocol));
}
