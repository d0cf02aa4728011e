// Header names and the generic header-block parser used off the hot path
// (full parse, multipart part headers).
import { Byte, skipWhitespace, textOf, trimEnd } from './bytes.js';

/**
 * Compact header forms (RFC 3261 §7.3.3 and §20, plus the extensions that registered one):
 * the single letter, lower case, to the full name.
 */
export const COMPACT_HEADER_NAMES: Record<string, string> = {
  i: 'Call-ID',
  f: 'From',
  t: 'To',
  v: 'Via',
  m: 'Contact',
  l: 'Content-Length',
  c: 'Content-Type',
  k: 'Supported',
  s: 'Subject',
  e: 'Content-Encoding',
  o: 'Event', // RFC 6665
  u: 'Allow-Events', // RFC 6665
  r: 'Refer-To', // RFC 3515
  x: 'Session-Expires', // RFC 4028
  y: 'Identity', // RFC 8224
  b: 'Referred-By', // RFC 3892
  a: 'Accept-Contact', // RFC 3841
  j: 'Reject-Contact', // RFC 3841
  d: 'Request-Disposition', // RFC 3841
  n: 'Identity-Info', // RFC 4474
};

/** The full name for a header name as written: compact letters expanded, anything else unchanged. */
export function expandHeaderName(rawName: string): string {
  return rawName.length === 1 ? (COMPACT_HEADER_NAMES[rawName.toLowerCase()] ?? rawName) : rawName;
}

export interface SipHeader {
  /** Full name (compact forms expanded), as written otherwise. */
  name: string;
  /** The name exactly as written. */
  rawName: string;
  /** The value with folded lines joined by one space (RFC 3261 §7.3.1), trimmed. */
  value: string;
  /** Byte range of the whole header line(s) in the original bytes, line break excluded. */
  start: number;
  end: number;
}

export interface HeaderBlock {
  headers: SipHeader[];
  /** Offset just past the empty line that ends the block, or `end` when there is none. */
  bodyStart: number;
  /** Whether the empty line was found. */
  complete: boolean;
  /** Lines that are neither a header nor a continuation (no colon), as Wireshark warns about them. */
  strayLines: { text: string; start: number; end: number }[];
}

/**
 * Splits the header lines in buf[start, end) up to the first empty line. Lines end at LF with
 * or without CR (a lone LF is tolerated, as Wireshark does); a line that starts with SP or HT
 * continues the previous header (folding).
 */
export function parseHeaderBlock(buf: Buffer, start: number, end: number): HeaderBlock {
  const headers: SipHeader[] = [];
  const strayLines: HeaderBlock['strayLines'] = [];
  let pos = start;
  while (pos < end) {
    let lf = buf.indexOf(Byte.LF, pos);
    if (lf >= end) lf = -1;
    if (lf === pos || (lf === pos + 1 && buf[pos] === Byte.CR)) return { headers, bodyStart: lf + 1, complete: true, strayLines };
    while (lf >= 0 && lf + 1 < end && (buf[lf + 1] === Byte.SP || buf[lf + 1] === Byte.HT)) {
      lf = buf.indexOf(Byte.LF, lf + 1);
      if (lf >= end) lf = -1;
    }
    const lineEnd = lf < 0 ? end : buf[lf - 1] === Byte.CR ? lf - 1 : lf;
    let colon = pos;
    while (colon < lineEnd && buf[colon] !== Byte.COLON) colon++;
    if (colon < lineEnd) {
      const nameEnd = trimEnd(buf, pos, colon);
      const rawName = textOf(buf, pos, nameEnd);
      const valueStart = skipWhitespace(buf, colon + 1, lineEnd);
      headers.push({
        name: expandHeaderName(rawName),
        rawName,
        value: textOf(buf, valueStart, trimEnd(buf, valueStart, lineEnd)),
        start: pos,
        end: lineEnd,
      });
    } else if (lineEnd > pos) {
      strayLines.push({ text: textOf(buf, pos, lineEnd), start: pos, end: lineEnd });
    }
    pos = lf < 0 ? end : lf + 1;
  }
  return { headers, bodyStart: end, complete: false, strayLines };
}

/** The value of the first header called `name` (case-insensitive, compact forms matched), or null. */
export function firstHeaderValue(headers: readonly SipHeader[], name: string): string | null {
  const wanted = expandHeaderName(name).toLowerCase();
  for (const h of headers) if (h.name.toLowerCase() === wanted) return h.value;
  return null;
}
