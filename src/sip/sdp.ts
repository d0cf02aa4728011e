// SDP (RFC 8866, formerly 4566) as far as a SIP analyzer shows it: origin, connection, media
// lines with their rtpmap / fmtp / direction attributes, and the offer/answer hold convention
// of RFC 3264 §8.4.
import type { SdpMedia, SdpSummary } from '../model.js';
import { utf8Of } from '../buffer-calls.js';
import { dictionary, isDigit } from './bytes.js';

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

/**
 * The m= section summarizeAsciiSdp is reading. One object serves every section of every SDP
 * (the summary is synchronous); a section becomes its SdpMedia when the next one starts or the
 * SDP ends, as its codecs depend on its own lines only.
 */
class MediaSection {
  media = '';
  port = 0;
  proto = '';
  formats: string[] = [];
  /** The section's own c= address (null when it has none or it is broken: the session's applies). */
  address: string | null = null;
  direction: SdpDirection | null = null;
  /**
   * rtpmap payload types and names, the first rtpmapCount of each (few enough that a scan beats a
   * table). The lists only grow: emptying an array gives its storage back, to be allocated anew.
   */
  rtpmapCount = 0;
  readonly rtpmapTypes: string[] = [];
  readonly rtpmapNames: string[] = [];

  /** Sets the rtpmap of a payload type (a later line for the same type replaces the name). */
  addRtpmap(payloadType: string, name: string): void {
    const known = this.rtpmapIndex(payloadType);
    if (known >= 0) {
      this.rtpmapNames[known] = name;
      return;
    }
    this.rtpmapTypes[this.rtpmapCount] = payloadType;
    this.rtpmapNames[this.rtpmapCount] = name;
    this.rtpmapCount++;
  }

  private rtpmapIndex(payloadType: string): number {
    for (let i = 0; i < this.rtpmapCount; i++) if (this.rtpmapTypes[i] === payloadType) return i;
    return -1;
  }

  /** The summary of the section, the session's address and direction standing in for missing ones. */
  toMedia(sessionAddress: string | null, sessionDirection: SdpDirection | null): SdpMedia {
    const isRtp = isRtpProto(this.proto);
    let codecCount = 0;
    for (const format of this.formats) {
      const known = this.rtpmapIndex(format);
      const name = codecName(format, known >= 0 ? this.rtpmapNames[known] : undefined, isRtp);
      if (name !== undefined) scratch[codecCount++] = name;
    }
    return {
      media: this.media, port: this.port, proto: this.proto, formats: this.formats, codecs: scratch.slice(0, codecCount),
      address: this.address ?? sessionAddress,
      direction: this.direction ?? sessionDirection ?? 'sendrecv',
    };
  }
}

const section = new MediaSection();
/**
 * Lists being built (formats, codecs; the media of the SDP), reused: each is copied out at its
 * exact size, and they only grow (see MediaSection.rtpmapCount).
 */
const scratch: string[] = [];
const scratchMedia: SdpMedia[] = [];

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
  const text = utf8Of(buf, start, end);
  if (text.length !== end - start || text.indexOf('\uFFFD') >= 0) return summarizeSdp(parseSdp(text));
  return summarizeAsciiSdp(buf, text, start, start, end);
}

/**
 * summarizeSdpBody of a pure ASCII body that is already decoded: `text` holds the bytes from
 * `base` on (text.charCodeAt(i - base) === buf[i]), so byte offsets cut the string.
 */
export function summarizeAsciiSdp(buf: Buffer, text: string, base: number, start: number, end: number): SdpSummary {
  let origin: string | null = null;
  let sessionAddress: string | null = null;
  let sessionDirection: SdpDirection | null = null;
  let inSection = false;
  let mediaCount = 0;
  let pos = start;
  while (pos < end) {
    // A search in the decoded text costs less than one in the buffer (no call into Node).
    let newline = text.indexOf('\n', pos - base) + base;
    if (newline < base || newline > end) newline = end;
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
          origin = text.substring(s - base, e - base);
          break;
        }
        case 0x63: { // c=<nettype> <addrtype> <address>[/ttl][/count]
          const address = connectionAddress(buf, text, base, valueStart, lineEnd);
          if (!inSection) sessionAddress = address;
          else section.address = address;
          break;
        }
        case 0x6d: // m=
          if (inSection) scratchMedia[mediaCount++] = section.toMedia(sessionAddress, sessionDirection);
          startSection(buf, text, base, valueStart, lineEnd);
          inSection = true;
          break;
        case 0x61: { // a=
          const direction = readAttribute(buf, text, base, valueStart, lineEnd, inSection);
          if (direction === null) break;
          if (!inSection) sessionDirection = direction;
          else section.direction = direction;
          break;
        }
      }
    }
    pos = newline + 1;
  }
  if (inSection) scratchMedia[mediaCount++] = section.toMedia(sessionAddress, sessionDirection);
  return { origin, address: sessionAddress, media: scratchMedia.slice(0, mediaCount) };
}

/** Where the SP/TAB-separated field at or after `pos` starts (`end` when there is none). */
function fieldStart(buf: Buffer, pos: number, end: number): number {
  while (pos < end && isFieldSeparator(buf[pos])) pos++;
  return pos;
}

/** Where the field that starts at `pos` ends. */
function fieldEnd(buf: Buffer, pos: number, end: number): number {
  while (pos < end && !isFieldSeparator(buf[pos])) pos++;
  return pos;
}

/** The address of a c= value (third field, before any '/'), or null with fewer than three fields. */
function connectionAddress(buf: Buffer, text: string, base: number, start: number, end: number): string | null {
  let pos = fieldEnd(buf, fieldStart(buf, start, end), end);
  pos = fieldEnd(buf, fieldStart(buf, pos, end), end);
  const addressStart = fieldStart(buf, pos, end);
  if (addressStart >= end) return null;
  let addressEnd = addressStart;
  while (addressEnd < end && !isFieldSeparator(buf[addressEnd]) && buf[addressEnd] !== 0x2f /* / */) addressEnd++;
  return text.substring(addressStart - base, addressEnd - base);
}

/** "0" to "127": payload type numbers (RFC 3551 static types and the dynamic range), one string each for every SDP. */
const PAYLOAD_TYPE_TEXT: readonly string[] = Array.from({ length: 128 }, (_, n) => String(n));

/** The field buf[start, end) as text: from PAYLOAD_TYPE_TEXT when it is a payload type number written plainly. */
function formatText(buf: Buffer, text: string, base: number, start: number, end: number): string {
  const length = end - start;
  if (length >= 1 && length <= 3 && (length === 1 || buf[start] !== 0x30 /* 0 */)) {
    let value = 0;
    let i = start;
    while (i < end && isDigit(buf[i])) value = value * 10 + (buf[i++] - 0x30);
    if (i === end && value < PAYLOAD_TYPE_TEXT.length) return PAYLOAD_TYPE_TEXT[value];
  }
  return text.substring(start - base, end - base);
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

/** Starts `section` on an m= value, read as parseMediaFields reads it: media port[/count] proto format... */
function startSection(buf: Buffer, text: string, base: number, start: number, end: number): void {
  const mediaStart = fieldStart(buf, start, end);
  const mediaEnd = fieldEnd(buf, mediaStart, end);
  const portStart = fieldStart(buf, mediaEnd, end);
  const portEnd = fieldEnd(buf, portStart, end);
  const protoStart = fieldStart(buf, portEnd, end);
  const protoEnd = fieldEnd(buf, protoStart, end);
  let port = 0;
  if (portEnd > portStart) {
    let slash = portStart;
    while (slash < portEnd && buf[slash] !== 0x2f /* / */) slash++;
    port = portAt(buf, portStart, slash) ?? 0;
  }
  let formatCount = 0;
  for (let pos = fieldStart(buf, protoEnd, end); pos < end; pos = fieldStart(buf, pos, end)) {
    const formatEnd = fieldEnd(buf, pos, end);
    scratch[formatCount++] = formatText(buf, text, base, pos, formatEnd);
    pos = formatEnd;
  }
  section.media = mediaEnd > mediaStart ? text.substring(mediaStart - base, mediaEnd - base) : '';
  section.port = port;
  section.proto = protoEnd > protoStart ? text.substring(protoStart - base, protoEnd - base) : '';
  section.formats = scratch.slice(0, formatCount);
  section.address = null;
  section.direction = null;
  section.rtpmapCount = 0;
}

/**
 * An a= line read as parseAttribute and addAttribute read it: returns the direction a property
 * attribute names (or null); "rtpmap:<pt> <name>" inside a media section adds to its rtpmap.
 */
function readAttribute(buf: Buffer, text: string, base: number, start: number, end: number, inSection: boolean): SdpDirection | null {
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
  if (!inSection) return null;
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
  const payloadType = formatText(buf, text, base, s, space);
  const name = text.substring(nameFrom - base, e - base);
  section.addRtpmap(payloadType, name);
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
