// SIP over WebSocket (RFC 7118) on a TCP stream: the HTTP upgrade, then RFC 6455 frames.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-------+-+-------------+-------------------------------+
//  |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//  |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//  |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//  | |1|2|3|       |K|             |                               |
//  +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//  |     Extended payload length continued, if payload len == 127  |
//  + - - - - - - - - - - - - - - - +-------------------------------+
//  |                               |Masking-key, if MASK set to 1  |
//  +-------------------------------+-------------------------------+
//  | Masking-key (continued)       |          Payload Data         |
//                                                  (RFC 6455 §5.2)
// Client-to-server frames are masked (§5.3); a message may be fragmented into a text/binary
// frame without FIN and continuation frames (§5.4); control frames (close, ping, pong) may come
// between fragments. RFC 7118 §5: each SIP message is carried in one WebSocket message.
import { MAX_START_LINE, NEED_MORE, START_LINE_NOT_SIP, START_LINE_SIP, START_LINE_UNDECIDED, startLineStatus } from './sip-framing.js';

export const WS_CONTINUATION = 0x0;
export const WS_TEXT = 0x1;
export const WS_BINARY = 0x2;
/** Opcodes 0x8-0xF are control frames (close 0x8, ping 0x9, pong 0xA). */
export const WS_FIRST_CONTROL = 0x8;

/** wsFrameLength: the bytes there cannot be a WebSocket frame header. */
const NOT_WS_FRAME = -2;

/** The fields of one frame header; filled in place by readWsFrameHeader. */
export interface WsFrameHeader {
  fin: boolean;
  /** RSV1-3 bits; RSV1 marks a permessage-deflate compressed message (RFC 7692). */
  rsv: number;
  opcode: number;
  masked: boolean;
  /** Offset of the 4-byte masking key (when masked). */
  maskOffset: number;
  /** Offset of the payload. */
  payloadOffset: number;
  payloadLength: number;
}

function isKnownOpcode(opcode: number): boolean {
  return opcode <= WS_BINARY || (opcode >= WS_FIRST_CONTROL && opcode <= 0xa);
}

/**
 * Reads the frame header at `off` into `h`. Returns the whole frame's length (header and
 * payload), NEED_MORE when the header is cut by `end`, or NOT_WS_FRAME for reserved opcodes
 * and control frames that break §5.5 (fragmented, or longer than 125 bytes).
 */
export function readWsFrameHeader(buf: Buffer, off: number, end: number, h: WsFrameHeader): number {
  if (end - off < 2) return NEED_MORE;
  const b0 = buf[off];
  const b1 = buf[off + 1];
  const opcode = b0 & 0x0f;
  if (!isKnownOpcode(opcode)) return NOT_WS_FRAME;
  const fin = (b0 & 0x80) !== 0;
  const masked = (b1 & 0x80) !== 0;
  let length = b1 & 0x7f;
  let p = off + 2;
  if (opcode >= WS_FIRST_CONTROL && (!fin || length > 125)) return NOT_WS_FRAME;
  if (length === 126) {
    if (end - p < 2) return NEED_MORE;
    length = buf.readUInt16BE(p);
    p += 2;
  } else if (length === 127) {
    if (end - p < 8) return NEED_MORE;
    // §5.2: the most significant bit must be 0. Lengths past 2^53 are not representable, and far
    // beyond any stream buffer anyway: clamp them so the caller rejects the frame as oversized.
    const high = buf.readUInt32BE(p);
    if (high & 0x80000000) return NOT_WS_FRAME;
    length = high > 0x1fffff ? Number.MAX_SAFE_INTEGER : high * 0x100000000 + buf.readUInt32BE(p + 4);
    p += 8;
  }
  h.maskOffset = p;
  if (masked) {
    if (end - p < 4) return NEED_MORE;
    p += 4;
  }
  h.fin = fin;
  h.rsv = (b0 >> 4) & 0x7;
  h.opcode = opcode;
  h.masked = masked;
  h.payloadOffset = p;
  h.payloadLength = length;
  return p - off + length;
}

/** Writes src[start, end) XOR the masking key at `key` into dst at dstOffset (§5.3). */
export function unmask(src: Buffer, start: number, end: number, key: Buffer, keyOffset: number, dst: Buffer, dstOffset: number): void {
  const k0 = key[keyOffset];
  const k1 = key[keyOffset + 1];
  const k2 = key[keyOffset + 2];
  const k3 = key[keyOffset + 3];
  let i = 0;
  const n = end - start;
  for (; i + 4 <= n; i += 4) {
    dst[dstOffset + i] = src[start + i] ^ k0;
    dst[dstOffset + i + 1] = src[start + i + 1] ^ k1;
    dst[dstOffset + i + 2] = src[start + i + 2] ^ k2;
    dst[dstOffset + i + 3] = src[start + i + 3] ^ k3;
  }
  for (; i < n; i++) dst[dstOffset + i] = src[start + i] ^ key[keyOffset + (i & 3)];
}

const probeHeader: WsFrameHeader = { fin: false, rsv: 0, opcode: 0, masked: false, maskOffset: 0, payloadOffset: 0, payloadLength: 0 };
const probeScratch = Buffer.alloc(MAX_START_LINE);

/**
 * Whether a WebSocket text or binary frame that starts a message, with a SIP start line at the
 * beginning of its (unmasked) payload, is at `off`: how SIP over WebSocket is recognised when the
 * capture missed the upgrade. START_LINE_SIP, START_LINE_NOT_SIP, or START_LINE_UNDECIDED when
 * `end` cuts the header or the start line short.
 */
export function wsFrameStartsSip(buf: Buffer, off: number, end: number): number {
  const frameLength = readWsFrameHeader(buf, off, end, probeHeader);
  if (frameLength === NEED_MORE) {
    const opcode = buf[off] & 0x0f;
    return (buf[off] & 0x70) === 0 && (opcode === WS_TEXT || opcode === WS_BINARY) ? START_LINE_UNDECIDED : START_LINE_NOT_SIP;
  }
  if (frameLength < 0 || probeHeader.rsv !== 0) return START_LINE_NOT_SIP;
  if (probeHeader.opcode !== WS_TEXT && probeHeader.opcode !== WS_BINARY) return START_LINE_NOT_SIP;
  const start = probeHeader.payloadOffset;
  const inFrame = Math.min(probeHeader.payloadLength, MAX_START_LINE);
  const available = Math.max(0, Math.min(inFrame, end - start));
  if (available === 0) return inFrame === 0 ? START_LINE_NOT_SIP : START_LINE_UNDECIDED;
  let probe = buf;
  let probeStart = start;
  if (probeHeader.masked) {
    unmask(buf, start, start + available, buf, probeHeader.maskOffset, probeScratch, 0);
    probe = probeScratch;
    probeStart = 0;
  }
  const status = startLineStatus(probe, probeStart, probeStart + available);
  if (status === START_LINE_UNDECIDED && available === inFrame) {
    // The whole payload (or MAX_START_LINE of it) is here and still no complete start line.
    return START_LINE_NOT_SIP;
  }
  return status;
}

/** Position of the next frame start in [from, end) that carries SIP (or may: cut by `end`), or -1. */
export function nextWsSipFrame(buf: Buffer, from: number, end: number): number {
  for (let p = from; p < end; p++) {
    const b = buf[p];
    if ((b & 0x7f) !== WS_TEXT && (b & 0x7f) !== WS_BINARY) continue;
    if (wsFrameStartsSip(buf, p, end) !== START_LINE_NOT_SIP) return p;
  }
  return -1;
}

const UPGRADE = Buffer.from('upgrade', 'latin1');
const WEBSOCKET = Buffer.from('websocket', 'latin1');

/** True when buf[start, ...) equals `lower` with ASCII letters folded. */
function equalsFolded(buf: Buffer, start: number, end: number, lower: Buffer): boolean {
  if (end - start < lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const b = buf[start + i];
    if ((b >= 0x41 && b <= 0x5a ? b | 0x20 : b) !== lower[i]) return false;
  }
  return true;
}

/**
 * True when the HTTP header block in [start, end) has "Upgrade: websocket" (RFC 6455 §4.1,
 * §4.2.2): the GET that opens a WebSocket and its 101 response both carry it.
 */
export function hasWebSocketUpgrade(buf: Buffer, start: number, end: number): boolean {
  let pos = start;
  while (pos < end) {
    let lineEnd = buf.indexOf(0x0a, pos);
    if (lineEnd < 0 || lineEnd > end) lineEnd = end;
    if (equalsFolded(buf, pos, lineEnd, UPGRADE)) {
      let p = pos + UPGRADE.length;
      while (p < lineEnd && (buf[p] === 0x20 || buf[p] === 0x09)) p++;
      if (p < lineEnd && buf[p] === 0x3a) {
        for (p++; p + WEBSOCKET.length <= lineEnd; p++) {
          if (equalsFolded(buf, p, lineEnd, WEBSOCKET)) return true;
        }
      }
    }
    pos = lineEnd + 1;
  }
  return false;
}

const HTTP_GET = Buffer.from('GET ', 'latin1');
const HTTP_101 = Buffer.from('HTTP/1.1 101', 'latin1');

/**
 * Whether an HTTP request "GET " or a "HTTP/1.1 101" response starts at `off`:
 * START_LINE_SIP (meaning: yes), START_LINE_NOT_SIP, or START_LINE_UNDECIDED when cut by `end`.
 */
export function httpUpgradeStartStatus(buf: Buffer, off: number, end: number): number {
  const literal = buf[off] === 0x47 ? HTTP_GET : HTTP_101;
  const n = Math.min(literal.length, end - off);
  for (let i = 0; i < n; i++) if (buf[off + i] !== literal[i]) return START_LINE_NOT_SIP;
  return n === literal.length ? START_LINE_SIP : START_LINE_UNDECIDED;
}
