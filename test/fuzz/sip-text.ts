// Generated SIP messages (fast-check arbitraries) with the fields a correct decoder must read
// from them, and captures that carry them over UDP (one message per datagram) or TCP (one
// stream, cut into segments anywhere). Header names come long or compact (RFC 3261 §7.3.3), in
// any letter case, with any spacing around the colon (§7.3.1); unknown headers are mixed in.
import fc from 'fast-check';
import { buildPcap } from '../capture/builders.js';
import type { MessageFields } from './harness.js';
import { ethernet, ipv4 } from './mutations.js';

export type GeneratedFields = Omit<MessageFields, 'src' | 'dst' | 'transport'>;

export interface GeneratedMessage {
  bytes: Buffer;
  fields: GeneratedFields;
}

const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~';
const token = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 16 });
const host = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.')),
  fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 1, maxLength: 10 }).map((label) => `${label}.example`),
);
const METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'UPDATE', 'INFO', 'MESSAGE', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'PUBLISH'];
const method = fc.oneof(fc.constantFrom(...METHODS), fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), minLength: 1, maxLength: 10 }));
/** Header values and reason phrases: printable text without line breaks. */
const text = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }).map((s) => s.trim());
const body = fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), fc.constant('\r\n')), maxLength: 120 });
const separator = fc.constantFrom(': ', ':', ' : ', ':\t', ':  ');

/** A header name in its long or (when it has one) compact form, in a random letter case. */
function headerName(long: string, compact: string | null): fc.Arbitrary<string> {
  const forms = compact === null ? fc.constant(long) : fc.constantFrom(long, compact);
  return fc.tuple(forms, fc.array(fc.boolean(), { minLength: long.length, maxLength: long.length })).map(([name, upper]) =>
    [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(''),
  );
}

export const sipMessage: fc.Arbitrary<GeneratedMessage> = fc
  .record({
    request: fc.boolean(),
    method,
    cseqMethod: method,
    status: fc.integer({ min: 100, max: 699 }),
    reason: text,
    user: token,
    host,
    callId: fc.tuple(token, fc.option(host, { nil: undefined })).map(([id, at]) => (at === undefined ? id : `${id}@${at}`)),
    cseq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    branch: token.map((t) => `z9hG4bK${t}`),
    fromTag: fc.option(token, { nil: null }),
    toTag: fc.option(token, { nil: null }),
    body,
    names: fc.record({
      via: headerName('Via', 'v'),
      from: headerName('From', 'f'),
      to: headerName('To', 't'),
      callId: headerName('Call-ID', 'i'),
      cseq: headerName('CSeq', null),
      contentLength: headerName('Content-Length', 'l'),
      contentType: headerName('Content-Type', 'c'),
    }),
    separators: fc.array(separator, { minLength: 8, maxLength: 8 }),
    extra: fc.array(fc.tuple(token.map((t) => `X-${t}`), text), { maxLength: 4 }),
    order: fc.array(fc.nat(), { minLength: 10, maxLength: 10 }),
  })
  .map((g) => {
    const s = g.separators;
    const tag = (t: string | null) => (t === null ? '' : `;tag=${t}`);
    const headers = [
      `${g.names.via}${s[0]}SIP/2.0/UDP ${g.host}:5060;branch=${g.branch}`,
      `${g.names.from}${s[1]}<sip:${g.user}@${g.host}>${tag(g.fromTag)}`,
      `${g.names.to}${s[2]}<sip:${g.user}@${g.host}>${tag(g.toTag)}`,
      `${g.names.callId}${s[3]}${g.callId}`,
      `${g.names.cseq}${s[4]}${g.cseq} ${g.request ? g.method : g.cseqMethod}`,
      `${g.names.contentLength}${s[5]}${g.body.length}`,
      ...(g.body.length > 0 ? [`${g.names.contentType}${s[6]}text/plain`] : []),
      ...g.extra.map(([name, value]) => `${name}${s[7]}${value}`),
    ];
    // Shuffle the header lines (the order of different header names is not significant, §7.3.1).
    const shuffled = headers.map((h, i) => ({ h, key: g.order[i % g.order.length]! * 16 + i })).sort((a, b) => a.key - b.key).map((x) => x.h);
    const startLine = g.request ? `${g.method} sip:${g.user}@${g.host} SIP/2.0` : `SIP/2.0 ${g.status} ${g.reason}`;
    const bytes = Buffer.from(`${startLine}\r\n${shuffled.join('\r\n')}\r\n\r\n${g.body}`, 'latin1');
    const fields: GeneratedFields = {
      type: g.request ? 'request' : 'response',
      ...(g.request ? { method: g.method } : { status: g.status }),
      call_id: g.callId,
      cseq: `${g.cseq} ${g.request ? g.method : g.cseqMethod}`,
      via_branch: g.branch,
      from_tag: g.fromTag,
      to_tag: g.toTag,
      content_length: g.body.length,
    };
    return { bytes, fields };
  });

const CLIENT = [192, 0, 2, 10];
const SERVER = [192, 0, 2, 20];
export const CLIENT_ENDPOINT = '192.0.2.10:5060';
export const SERVER_ENDPOINT = '192.0.2.20:5060';

function udp(payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(5060, 0);
  header.writeUInt16BE(5060, 2);
  header.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** A TCP segment 5060 -> 5060 with ACK and PSH (SYN alone when asked). */
export function tcpSegment(seq: number, payload: Buffer, syn = false): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(5060, 0);
  header.writeUInt16BE(5060, 2);
  header.writeUInt32BE(seq >>> 0, 4);
  header[12] = 5 << 4;
  header[13] = syn ? 0x02 : 0x18;
  header.writeUInt16BE(65535, 14);
  return Buffer.concat([header, payload]);
}

function frame(protocol: number, transportBytes: Buffer): Buffer {
  return ethernet(0x0800, ipv4(protocol, transportBytes, { src: CLIENT, dst: SERVER }));
}

function capture(frames: Buffer[]): Buffer {
  return buildPcap({}, frames.map((data, i) => ({ sec: 1_800_000_000 + i, frac: 0, data })));
}

/** One datagram per message. */
export function udpCapture(messages: Buffer[]): Buffer {
  return capture(messages.map((m) => frame(17, udp(m))));
}

/**
 * The messages as one TCP stream (a SYN first, CRLF keep-alives where asked), cut at `cuts`.
 * Returns the capture and, for each message, the frame holding its last byte.
 */
export function tcpCapture(messages: Buffer[], cuts: number[], keepAlives: boolean[]): { bytes: Buffer; lastFrames: number[] } {
  const parts: Buffer[] = [];
  const ends: number[] = [];
  let length = 0;
  messages.forEach((m, i) => {
    if (keepAlives[i % Math.max(1, keepAlives.length)]) {
      parts.push(Buffer.from('\r\n\r\n'));
      length += 4;
    }
    parts.push(m);
    length += m.length;
    ends.push(length);
  });
  const stream = Buffer.concat(parts);
  const points = [...new Set([0, ...cuts.map((c) => c % Math.max(1, stream.length)), stream.length])].sort((a, b) => a - b);
  const isn = 1000;
  const frames = [frame(6, tcpSegment(isn, Buffer.alloc(0), true))];
  for (let i = 0; i + 1 < points.length; i++) frames.push(frame(6, tcpSegment(isn + 1 + points[i]!, stream.subarray(points[i], points[i + 1]))));
  // Frame 1 is the SYN; segment i is frame i + 2.
  const lastFrames = ends.map((end) => points.findIndex((p) => p >= end) - 1 + 2);
  return { bytes: capture(frames), lastFrames };
}
