// The full parse, on demand (the raw-message panel, the server, anonymisation): every header
// in order with its byte range, the body, its parts and its SDP. Validity, body length and SDP
// come from the scanner, so both agree on what a message is.
import { Byte } from './bytes.js';
import { expandHeaderName, parseHeaderBlock, type HeaderBlock, type SipHeader } from './headers.js';
import { bodyParts, type BodyPart } from './multipart.js';
import { scanSip } from './scan.js';
import { splitTopLevel } from './uri.js';
import type { SdpSummary } from '../model.js';

export interface ParsedSipMessage {
  startLine: string;
  isRequest: boolean;
  method: string | null;
  requestUri: string | null;
  status: number | null;
  reason: string | null;
  /** In order; compact names expanded in `name`, `rawName` as written, `value` unfolded. */
  headers: SipHeader[];
  body: Buffer;
  /** Leaf parts of a multipart body (nested ones split too), or the body as one part; none when the body is empty. */
  parts: BodyPart[];
  sdp: SdpSummary | null;
  malformed: string | null;
  /** Byte range of the start line in the original bytes (line break excluded). */
  startLineStart: number;
  startLineEnd: number;
  /** Byte range of the body in the original bytes. */
  bodyStart: number;
  bodyEnd: number;
  /** Lines in the header block that are not headers (no colon), with their byte ranges. */
  strayLines: HeaderBlock['strayLines'];
}

/**
 * Parses a whole message. The body is Content-Length bytes, or every byte after the headers
 * when there is no Content-Length (as for a datagram: a framed stream message holds no more).
 */
export function parseSipMessage(bytes: Buffer): ParsedSipMessage {
  const head = scanSip(bytes, { datagram: true });
  let startLineStart = 0;
  while (startLineStart < bytes.length && (bytes[startLineStart] === Byte.CR || bytes[startLineStart] === Byte.LF)) startLineStart++;
  const lf = bytes.indexOf(Byte.LF, startLineStart);
  let startLineEnd = lf < 0 ? bytes.length : lf;
  if (startLineEnd > startLineStart && bytes[startLineEnd - 1] === Byte.CR) startLineEnd--;
  const block = parseHeaderBlock(bytes, lf < 0 ? bytes.length : lf + 1, bytes.length);
  const bodyStart = block.complete ? block.bodyStart : bytes.length;
  const bodyEnd = bodyStart + head.bodyLength;
  return {
    startLine: bytes.toString('utf8', startLineStart, startLineEnd),
    isRequest: head.isRequest,
    method: head.method,
    requestUri: head.requestUri,
    status: head.status,
    reason: head.reason,
    headers: block.headers,
    body: bytes.subarray(bodyStart, bodyEnd),
    parts: bodyEnd > bodyStart ? bodyParts(bytes, bodyStart, bodyEnd, head.contentType) : [],
    sdp: head.sdp,
    malformed: head.malformed,
    startLineStart,
    startLineEnd,
    bodyStart,
    bodyEnd,
    strayLines: block.strayLines,
  };
}

/**
 * Headers whose grammar is a comma-separated list (RFC 3261 §7.3.1: "field-name: value, value"
 * is the same as repeating the header). Others (From, Authorization, Date, ...) may hold commas
 * inside one value and are never split.
 */
const LIST_HEADERS = new Set([
  'via', 'contact', 'route', 'record-route', 'path', 'service-route', 'allow', 'supported', 'require',
  'proxy-require', 'unsupported', 'accept', 'accept-encoding', 'accept-language', 'allow-events',
  'content-encoding', 'content-language', 'in-reply-to', 'alert-info', 'call-info', 'error-info',
  'warning', 'reason', 'p-asserted-identity', 'p-preferred-identity', 'p-associated-uri',
  'p-visited-network-id', 'history-info', 'diversion', 'security-client', 'security-server',
  'security-verify', 'accept-contact', 'reject-contact', 'request-disposition', 'geolocation',
  'recv-info', 'resource-priority', 'accept-resource-priority', 'permission-missing', 'trigger-consent',
]);

/**
 * Every value of the header `name` (case-insensitive, compact form or full name), in order:
 * list headers split at commas outside quotes and <>, others one value per header line.
 */
export function getHeaderValues(msg: ParsedSipMessage, name: string): string[] {
  const wanted = expandHeaderName(name.trim()).toLowerCase();
  const split = LIST_HEADERS.has(wanted);
  const values: string[] = [];
  for (const header of msg.headers) {
    if (header.name.toLowerCase() !== wanted) continue;
    if (!split) {
      values.push(header.value);
      continue;
    }
    for (const piece of splitTopLevel(header.value, ',')) {
      const value = piece.trim();
      if (value.length > 0) values.push(value);
    }
  }
  return values;
}
