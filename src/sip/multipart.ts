// multipart/* bodies (RFC 2046 §5.1, as SIP uses them: RFC 5621).
import { Byte, findParam, foundValue, lowerBytes, paramText } from './bytes.js';
import { firstHeaderValue, parseHeaderBlock, type SipHeader } from './headers.js';

export interface BodyPart {
  contentType: string | null;
  headers: SipHeader[];
  body: Buffer;
}

/** Nested multiparts deeper than this are kept as one opaque part (a guard against hostile input). */
const MAX_MULTIPART_DEPTH = 8;

const BOUNDARY = lowerBytes('boundary');
const MULTIPART_PREFIX = 'multipart/';

/** The media type of a Content-Type value, lower case, parameters and whitespace removed. */
export function mediaTypeOf(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** The boundary parameter of a multipart Content-Type, unquoted, or null. */
export function boundaryOf(contentType: string): string | null {
  const buf = Buffer.from(contentType, 'utf8');
  const firstParam = buf.indexOf(Byte.SEMI);
  if (firstParam < 0 || !findParam(buf, firstParam, buf.length, BOUNDARY)) return null;
  const boundary = paramText(buf, foundValue.start, foundValue.end);
  return boundary.length > 0 ? boundary : null;
}

/**
 * Byte ranges of the parts of a multipart body in buf[start, end). A delimiter is "--boundary"
 * at the start of the body or of a line; the line break before it belongs to the delimiter,
 * "--boundary--" closes the body (the epilogue after it is ignored, as is the preamble).
 */
export function splitMultipart(buf: Buffer, start: number, end: number, boundary: string): { start: number; end: number }[] {
  const delimiter = Buffer.from('--' + boundary, 'utf8');
  const parts: { start: number; end: number }[] = [];
  let at = findDelimiter(buf, start, start, end, delimiter);
  while (at >= 0) {
    const after = at + delimiter.length;
    if (after + 1 < end && buf[after] === 0x2d && buf[after + 1] === 0x2d) break;
    const lineEnd = buf.indexOf(Byte.LF, after);
    if (lineEnd < 0 || lineEnd >= end) break;
    const partStart = lineEnd + 1;
    const next = findDelimiter(buf, start, partStart, end, delimiter);
    let partEnd = next < 0 ? end : next;
    if (next >= 0 && partEnd > partStart && buf[partEnd - 1] === Byte.LF) partEnd--;
    if (next >= 0 && partEnd > partStart && buf[partEnd - 1] === Byte.CR) partEnd--;
    parts.push({ start: partStart, end: partEnd });
    at = next;
  }
  return parts;
}

/** Next delimiter at or after `pos` that starts the body or a line, or -1. */
function findDelimiter(buf: Buffer, bodyStart: number, pos: number, end: number, delimiter: Buffer): number {
  while (pos < end) {
    const at = buf.indexOf(delimiter, pos);
    if (at < 0 || at + delimiter.length > end) return -1;
    if (at === bodyStart || buf[at - 1] === Byte.LF) return at;
    pos = at + 1;
  }
  return -1;
}

/**
 * The leaf parts of a body: a multipart body split into its parts, nested multiparts split in
 * turn (depth-first, in order); any other body is one part with the message's own type.
 */
export function bodyParts(buf: Buffer, start: number, end: number, contentType: string | null, headers: SipHeader[] = [], depth = 0): BodyPart[] {
  const boundary = contentType !== null && depth < MAX_MULTIPART_DEPTH && mediaTypeOf(contentType).startsWith(MULTIPART_PREFIX) ? boundaryOf(contentType) : null;
  if (boundary === null) return [{ contentType, headers, body: buf.subarray(start, end) }];
  const leaves: BodyPart[] = [];
  for (const range of splitMultipart(buf, start, end, boundary)) {
    // A part that starts with its empty line has no headers (RFC 2046 §5.1.1: it is then text/plain).
    const block = parseHeaderBlock(buf, range.start, range.end);
    const bodyStart = block.complete ? block.bodyStart : range.end;
    leaves.push(...bodyParts(buf, bodyStart, range.end, firstHeaderValue(block.headers, 'Content-Type'), block.headers, depth + 1));
  }
  return leaves;
}
