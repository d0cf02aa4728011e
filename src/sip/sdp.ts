// SDP (RFC 8866, formerly 4566) as far as a SIP analyzer shows it: origin, connection, media
// lines with their rtpmap / fmtp / direction attributes, and the offer/answer hold convention
// of RFC 3264 §8.4.
import type { SdpMedia, SdpSummary } from '../model.js';
import { dictionary } from './bytes.js';

export type SdpDirection = SdpMedia['direction'];

export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

export interface SdpConnection {
  netType: string;
  addrType: string;
  /** The address without any multicast /ttl/count suffix. */
  address: string;
}

export interface SdpAttribute {
  name: string;
  /** Text after the first ':', or null for a property attribute such as a=sendonly. */
  value: string | null;
}

export interface SdpMediaDescription {
  media: string;
  port: number;
  /** The "/<number of ports>" of the m= line, or null. */
  portCount: number | null;
  proto: string;
  formats: string[];
  /** Media-level c= line, or null (the session's then applies). */
  connection: SdpConnection | null;
  bandwidths: string[];
  attributes: SdpAttribute[];
  /** Payload type to "encoding/clock[/channels]" from a=rtpmap. */
  rtpmap: Record<string, string>;
  /** Payload type to its a=fmtp parameters. */
  fmtp: Record<string, string>;
  /** Direction attribute written at media level, or null. */
  direction: SdpDirection | null;
}

export interface Sdp {
  version: string | null;
  origin: SdpOrigin | null;
  /** The o= value as written. */
  originText: string | null;
  sessionName: string | null;
  connection: SdpConnection | null;
  bandwidths: string[];
  /** t= values as written. */
  times: string[];
  /** Session-level attributes. */
  attributes: SdpAttribute[];
  /** Direction attribute written at session level, or null. */
  direction: SdpDirection | null;
  media: SdpMediaDescription[];
  /** Lines that are not "<letter>=<value>". */
  invalidLines: string[];
}

/** RFC 3551 §6 static payload types, named when the SDP has no a=rtpmap for them. */
const STATIC_PAYLOAD_TYPES = new Map<string, string>(Object.entries({
  '0': 'PCMU/8000',
  '3': 'GSM/8000',
  '4': 'G723/8000',
  '5': 'DVI4/8000',
  '6': 'DVI4/16000',
  '7': 'LPC/8000',
  '8': 'PCMA/8000',
  '9': 'G722/8000',
  '10': 'L16/44100/2',
  '11': 'L16/44100',
  '12': 'QCELP/8000',
  '13': 'CN/8000',
  '14': 'MPA/90000',
  '15': 'G728/8000',
  '16': 'DVI4/11025',
  '17': 'DVI4/22050',
  '18': 'G729/8000',
  '25': 'CelB/90000',
  '26': 'JPEG/90000',
  '28': 'nv/90000',
  '31': 'H261/90000',
  '32': 'MPV/90000',
  '33': 'MP2T/90000',
  '34': 'H263/90000',
}));

function directionOf(name: string): SdpDirection | null {
  return name === 'sendrecv' || name === 'sendonly' || name === 'recvonly' || name === 'inactive' ? name : null;
}

/** Whitespace-separated fields of an SDP value (the grammar uses single spaces; tabs and runs are tolerated). */
function fieldsOf(value: string): string[] {
  const fields: string[] = [];
  let from = -1;
  for (let i = 0; i <= value.length; i++) {
    const ch = i < value.length ? value.charCodeAt(i) : 0x20;
    if (ch === 0x20 || ch === 0x09) {
      if (from >= 0) fields.push(value.slice(from, i));
      from = -1;
    } else if (from < 0) from = i;
  }
  return fields;
}

/** A decimal port (0-65535 fits in five digits), or null. */
function portNumber(text: string): number | null {
  if (text.length === 0 || text.length > 5) return null;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  return value;
}

function parseConnection(value: string): SdpConnection | null {
  const f = fieldsOf(value);
  if (f.length < 3) return null;
  const slash = f[2].indexOf('/');
  return { netType: f[0], addrType: f[1], address: slash < 0 ? f[2] : f[2].slice(0, slash) };
}

function parseOrigin(value: string): SdpOrigin | null {
  const f = fieldsOf(value);
  if (f.length < 6) return null;
  return { username: f[0], sessionId: f[1], sessionVersion: f[2], netType: f[3], addrType: f[4], address: f[5] };
}

function parseAttribute(value: string): SdpAttribute {
  const colon = value.indexOf(':');
  return colon < 0 ? { name: value.trim(), value: null } : { name: value.slice(0, colon).trim(), value: value.slice(colon + 1) };
}

/** The fields of an m= line: media port[/count] proto format... */
function parseMediaFields(value: string): Pick<SdpMediaDescription, 'media' | 'port' | 'portCount' | 'proto' | 'formats'> {
  const f = fieldsOf(value);
  const portField = f[1] ?? '';
  const slash = portField.indexOf('/');
  return {
    media: f[0] ?? '',
    port: portNumber(slash < 0 ? portField : portField.slice(0, slash)) ?? 0,
    portCount: slash < 0 ? null : portNumber(portField.slice(slash + 1)),
    proto: f[2] ?? '',
    formats: f.slice(3),
  };
}

function parseMediaLine(value: string): SdpMediaDescription {
  return {
    ...parseMediaFields(value),
    connection: null,
    bandwidths: [],
    attributes: [],
    rtpmap: dictionary<string>(),
    fmtp: dictionary<string>(),
    direction: null,
  };
}

/** Adds one a= line to the session or to the current media description. */
function addAttribute(target: { attributes: SdpAttribute[]; direction: SdpDirection | null }, media: SdpMediaDescription | null, attribute: SdpAttribute): void {
  target.attributes.push(attribute);
  const direction = attribute.value === null ? directionOf(attribute.name) : null;
  if (direction !== null) target.direction = direction;
  if (media === null || attribute.value === null) return;
  if (attribute.name === 'rtpmap' || attribute.name === 'fmtp') {
    const value = attribute.value.trim();
    const space = value.indexOf(' ');
    if (space <= 0) return;
    const table = attribute.name === 'rtpmap' ? media.rtpmap : media.fmtp;
    table[value.slice(0, space)] = value.slice(space + 1).trim();
  }
}

/**
 * Parses SDP text line by line (CRLF or lone LF). Lenient: unknown or broken lines are kept in
 * invalidLines and never stop the parse.
 */
export function parseSdp(text: string): Sdp {
  const sdp: Sdp = {
    version: null, origin: null, originText: null, sessionName: null, connection: null, bandwidths: [],
    times: [], attributes: [], direction: null, media: [], invalidLines: [],
  };
  let media: SdpMediaDescription | null = null;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.length === 0) continue;
    if (line.length < 2 || line.charCodeAt(1) !== 0x3d /* = */) {
      sdp.invalidLines.push(line);
      continue;
    }
    const value = line.slice(2);
    switch (line[0]) {
      case 'v': sdp.version = value.trim(); break;
      case 'o': sdp.originText = value.trim(); sdp.origin = parseOrigin(value); break;
      case 's': sdp.sessionName = value; break;
      case 't': sdp.times.push(value.trim()); break;
      case 'c':
        if (media === null) sdp.connection = parseConnection(value);
        else media.connection = parseConnection(value);
        break;
      case 'b': (media ?? sdp).bandwidths.push(value.trim()); break;
      case 'm':
        media = parseMediaLine(value);
        sdp.media.push(media);
        break;
      case 'a': addAttribute(media ?? sdp, media, parseAttribute(value)); break;
      default: break; // i= u= e= p= r= z= k=: kept in the raw text only
    }
  }
  return sdp;
}

/** A format's codec name: its rtpmap, else for RTP media the RFC 3551 static type, else none. */
function codecName(format: string, rtpmap: string | undefined, isRtp: boolean): string | undefined {
  return rtpmap ?? (isRtp ? STATIC_PAYLOAD_TYPES.get(format) : undefined);
}

/** The last transport protocol asked about, and the answer (streams of a capture mostly share one). */
let lastProto = '';
let lastProtoIsRtp = false;

function isRtpProto(proto: string): boolean {
  if (proto !== lastProto) {
    lastProtoIsRtp = proto.toUpperCase().includes('RTP');
    lastProto = proto;
  }
  return lastProtoIsRtp;
}

function codecsOf(media: SdpMediaDescription): string[] {
  const isRtp = isRtpProto(media.proto);
  const codecs: string[] = [];
  for (const format of media.formats) {
    const name = codecName(format, media.rtpmap[format], isRtp);
    if (name !== undefined) codecs.push(name);
  }
  return codecs;
}

/**
 * The summary the rest of the product uses. Each stream's direction is its own attribute, else
 * the session's, else sendrecv (RFC 8866 §6.7); its address is its own c= line, else the session's.
 */
export function summarizeSdp(sdp: Sdp): SdpSummary {
  const sessionAddress = sdp.connection?.address ?? null;
  return {
    origin: sdp.originText,
    address: sessionAddress,
    media: sdp.media.map((m) => ({
      media: m.media,
      port: m.port,
      proto: m.proto,
      formats: m.formats,
      codecs: codecsOf(m),
      address: m.connection?.address ?? sessionAddress,
      direction: m.direction ?? sdp.direction ?? 'sendrecv',
    })),
  };
}

// ---------------------------------------------------------------- the hot-path summary

/** One m= section while summarizeSdpBody reads it. */
interface MediaDraft {
  media: string;
  port: number;
  proto: string;
  formats: string[];
  /** The section's own c= address (null when it has none or it is broken: the session's applies). */
  address: string | null;
  direction: SdpDirection | null;
  /** rtpmap payload types and names, in order (few enough that a scan beats a table). */
  rtpmapTypes: string[];
  rtpmapNames: string[];
}

const DIRECTION_BYTES: readonly [SdpDirection, Uint8Array][] = (['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const)
  .map((name) => [name, Uint8Array.from(name, (ch) => ch.charCodeAt(0))]);
const RTPMAP_BYTES = Uint8Array.from('rtpmap', (ch) => ch.charCodeAt(0));

/** What String.prototype.trim removes, among ASCII bytes: TAB, LF, VT, FF, CR and SP. */
function isTrimmed(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

/** What fieldsOf splits on: SP and TAB. */
function isFieldSeparator(b: number): boolean {
  return b === 0x20 || b === 0x09;
}

function bytesEqual(buf: Buffer, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (buf[start + i] !== expected[i]) return false;
  return true;
}

/**
 * Reads buf[start, end) as parseSdp and summarizeSdp would, with the same results, but for the
 * hot path: byte offsets instead of line strings, and strings only for the summary's fields.
 * A body that is not pure ASCII (rare: SDP is ASCII but for free-text lines) takes the full parse.
 */
export function summarizeSdpBody(buf: Buffer, start: number, end: number): SdpSummary {
  const text = buf.utf8Slice(start, end);
  if (text.length !== end - start || text.indexOf('\uFFFD') >= 0) return summarizeSdp(parseSdp(text));
  // Pure ASCII: text.charCodeAt(i - start) === buf[i], so byte offsets cut the string.
  let origin: string | null = null;
  let sessionAddress: string | null = null;
  let sessionDirection: SdpDirection | null = null;
  const drafts: MediaDraft[] = [];
  let current: MediaDraft | null = null;
  let pos = start;
  while (pos < end) {
    let newline = buf.indexOf(0x0a, pos);
    if (newline < 0 || newline > end) newline = end;
    let lineEnd = newline;
    if (lineEnd > pos && buf[lineEnd - 1] === 0x0d) lineEnd--;
    if (lineEnd - pos >= 2 && buf[pos + 1] === 0x3d /* = */) {
      const valueStart = pos + 2;
      switch (buf[pos]) {
        case 0x6f: { // o=
          let s = valueStart;
          let e = lineEnd;
          while (s < e && isTrimmed(buf[s])) s++;
          while (e > s && isTrimmed(buf[e - 1])) e--;
          origin = text.substring(s - start, e - start);
          break;
        }
        case 0x63: { // c=<nettype> <addrtype> <address>[/ttl][/count]
          const address = connectionAddress(buf, text, start, valueStart, lineEnd);
          if (current === null) sessionAddress = address;
          else current.address = address;
          break;
        }
        case 0x6d: // m=
          current = mediaDraft(buf, text, start, valueStart, lineEnd);
          drafts.push(current);
          break;
        case 0x61: { // a=
          const direction = readAttribute(buf, text, start, valueStart, lineEnd, current);
          if (direction === null) break;
          if (current === null) sessionDirection = direction;
          else current.direction = direction;
          break;
        }
      }
    }
    pos = newline + 1;
  }
  const media: SdpMedia[] = [];
  for (const draft of drafts) {
    const isRtp = isRtpProto(draft.proto);
    const codecs: string[] = [];
    for (const format of draft.formats) {
      const known = draft.rtpmapTypes.indexOf(format);
      const name = codecName(format, known >= 0 ? draft.rtpmapNames[known] : undefined, isRtp);
      if (name !== undefined) codecs.push(name);
    }
    media.push({
      media: draft.media, port: draft.port, proto: draft.proto, formats: draft.formats, codecs,
      address: draft.address ?? sessionAddress,
      direction: draft.direction ?? sessionDirection ?? 'sendrecv',
    });
  }
  return { origin, address: sessionAddress, media };
}

/** What fieldBounds returns, reused (its caller reads it before the next call). */
const bounds: number[] = [];

/** The SP/TAB-separated fields of buf[start, end) as flat start, end offset pairs, valid until the next call. */
function fieldBounds(buf: Buffer, start: number, end: number): number[] {
  bounds.length = 0;
  let pos = start;
  while (pos < end) {
    while (pos < end && isFieldSeparator(buf[pos])) pos++;
    if (pos >= end) break;
    const fieldStart = pos;
    while (pos < end && !isFieldSeparator(buf[pos])) pos++;
    bounds.push(fieldStart, pos);
  }
  return bounds;
}

/** The address of a c= value (third field, before any '/'), or null with fewer than three fields. */
function connectionAddress(buf: Buffer, text: string, base: number, start: number, end: number): string | null {
  const f = fieldBounds(buf, start, end);
  if (f.length < 6) return null;
  let addressEnd = f[4];
  while (addressEnd < f[5] && buf[addressEnd] !== 0x2f /* / */) addressEnd++;
  return text.substring(f[4] - base, addressEnd - base);
}

/** A decimal port of at most five digits in buf[start, end), or null (as portNumber). */
function portAt(buf: Buffer, start: number, end: number): number | null {
  if (end <= start || end - start > 5) return null;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = buf[i] - 0x30;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  return value;
}

/** An m= value read as parseMediaFields reads it. */
function mediaDraft(buf: Buffer, text: string, base: number, start: number, end: number): MediaDraft {
  const f = fieldBounds(buf, start, end);
  const cut = (i: number) => (2 * i + 1 < f.length ? text.substring(f[2 * i] - base, f[2 * i + 1] - base) : '');
  let port = 0;
  if (f.length >= 4) {
    let slash = f[2];
    while (slash < f[3] && buf[slash] !== 0x2f /* / */) slash++;
    port = portAt(buf, f[2], slash) ?? 0;
  }
  const formats: string[] = [];
  for (let i = 6; i < f.length; i += 2) formats.push(text.substring(f[i] - base, f[i + 1] - base));
  return { media: cut(0), port, proto: cut(2), formats, address: null, direction: null, rtpmapTypes: [], rtpmapNames: [] };
}

/**
 * An a= line read as parseAttribute and addAttribute read it: returns the direction a property
 * attribute names (or null); "rtpmap:<pt> <name>" inside a media section adds to its rtpmap.
 */
function readAttribute(buf: Buffer, text: string, base: number, start: number, end: number, media: MediaDraft | null): SdpDirection | null {
  let colon = start;
  while (colon < end && buf[colon] !== 0x3a /* : */) colon++;
  if (colon === end) {
    let s = start;
    let e = end;
    while (s < e && isTrimmed(buf[s])) s++;
    while (e > s && isTrimmed(buf[e - 1])) e--;
    for (const [name, bytes] of DIRECTION_BYTES) if (bytesEqual(buf, s, e, bytes)) return name;
    return null;
  }
  if (media === null) return null;
  let nameStart = start;
  let nameEnd = colon;
  while (nameStart < nameEnd && isTrimmed(buf[nameStart])) nameStart++;
  while (nameEnd > nameStart && isTrimmed(buf[nameEnd - 1])) nameEnd--;
  if (!bytesEqual(buf, nameStart, nameEnd, RTPMAP_BYTES)) return null;
  let s = colon + 1;
  let e = end;
  while (s < e && isTrimmed(buf[s])) s++;
  while (e > s && isTrimmed(buf[e - 1])) e--;
  let space = s;
  while (space < e && buf[space] !== 0x20) space++;
  if (space === s || space === e) return null;
  let nameFrom = space + 1;
  while (nameFrom < e && isTrimmed(buf[nameFrom])) nameFrom++;
  const payloadType = text.substring(s - base, space - base);
  const name = text.substring(nameFrom - base, e - base);
  const known = media.rtpmapTypes.indexOf(payloadType);
  if (known >= 0) media.rtpmapNames[known] = name;
  else {
    media.rtpmapTypes.push(payloadType);
    media.rtpmapNames.push(name);
  }
  return null;
}

/**
 * Whether an SDP puts the session on hold: some active stream (port not 0) is sendonly or
 * inactive, or has the connection address 0.0.0.0 (the RFC 2543 convention RFC 3264 §8.4 still
 * asks answerers to understand).
 */
export function isHoldSdp(summary: SdpSummary): boolean {
  return summary.media.some((m) => m.port !== 0 && (m.direction === 'sendonly' || m.direction === 'inactive' || m.address === '0.0.0.0'));
}
