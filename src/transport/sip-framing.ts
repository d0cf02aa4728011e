// Recognising SIP by content and framing it on byte streams (RFC 3261 §7, §18.3).
//
// SIP is found by its first line, never by port: a request line
//   Request-Line = Method SP Request-URI SP SIP-Version CRLF      (§25.1)
// or a status line
//   Status-Line  = SIP-Version SP Status-Code SP Reason-Phrase CRLF
// On a stream the message ends where its Content-Length says (§18.3: "the Content-Length
// header field MUST be used with stream oriented transports"), counted from the blank line.
// Everything here reads bytes at offsets: no strings are made.

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

/** Longest first line we are prepared to read before deciding a byte run is not SIP. */
export const MAX_START_LINE = 4096;
/** Longest method token accepted (the longest registered one, SUBSCRIBE, is 9). */
const MAX_METHOD_LENGTH = 32;

/** sipMessageLength: the bytes so far are a plausible beginning; more are needed. */
export const NEED_MORE = -1;
/** sipMessageLength: the bytes at the offset do not begin a SIP message. */
const NOT_SIP = -2;

/** Results of startLineStatus. */
export const START_LINE_SIP = 1;
export const START_LINE_UNDECIDED = 0;
export const START_LINE_NOT_SIP = -1;

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")  (RFC 3261 §25.1) */
const TOKEN_CHAR: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  for (const ch of "-.!%*_+`'~") t[ch.charCodeAt(0)] = 1;
  return t;
})();

/** "SIP/2.0" in upper case; compared with the letters folded (the ABNF literal is case-insensitive). */
const SIP_VERSION = Buffer.from('SIP/2.0', 'latin1');
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');

/** True when the byte is A-Z or a-z. */
function isLetter(b: number): boolean {
  return (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a;
}

/**
 * Compares buf[pos, ...) with "SIP/2.0" (letters case-folded) as far as bytes go before `end`.
 * Returns the offset after the literal, -1 on a mismatch, or -2 when `end` cut the comparison short.
 */
function matchSipVersion(buf: Buffer, pos: number, end: number): number {
  for (let i = 0; i < SIP_VERSION.length; i++) {
    if (pos + i >= end) return -2;
    const want = SIP_VERSION[i];
    const got = buf[pos + i];
    if (got !== want && !(isLetter(want) && (got | 0x20) === (want | 0x20))) return -1;
  }
  return pos + SIP_VERSION.length;
}

/**
 * Whether bytes at `offset` begin a SIP start line, reading no further than `end` nor than
 * MAX_START_LINE bytes: START_LINE_SIP, START_LINE_NOT_SIP, or START_LINE_UNDECIDED when the
 * bytes before `end` are a plausible beginning of one (a start line cut by a segment boundary).
 */
export function startLineStatus(buf: Buffer, offset: number, end: number): number {
  const limit = Math.min(end, buf.length, offset + MAX_START_LINE);
  const cut = limit < offset + MAX_START_LINE ? START_LINE_UNDECIDED : START_LINE_NOT_SIP;
  if (offset >= limit) return cut;

  // Status-Line: SIP-Version SP 3DIGIT SP. "SIP/..." is not a method (a token has no "/").
  const afterVersion = matchSipVersion(buf, offset, limit);
  if (afterVersion === -2) {
    // Still a prefix of "SIP/2.0"; but "SIP" alone could also start a method token like "SIPX".
    return cut;
  }
  if (afterVersion > 0) {
    let p = afterVersion;
    if (p >= limit) return cut;
    if (buf[p++] !== SP) return START_LINE_NOT_SIP;
    for (let i = 0; i < 3; i++, p++) {
      if (p >= limit) return cut;
      if (buf[p] < 0x30 || buf[p] > 0x39) return START_LINE_NOT_SIP;
    }
    if (p >= limit) return cut;
    // The reason phrase may be empty; tolerate a missing SP before the line end.
    return buf[p] === SP || buf[p] === CR ? START_LINE_SIP : START_LINE_NOT_SIP;
  }

  // Request-Line: Method SP Request-URI SP SIP-Version CRLF.
  let p = offset;
  while (p < limit && TOKEN_CHAR[buf[p]] === 1) {
    if (++p - offset > MAX_METHOD_LENGTH) return START_LINE_NOT_SIP;
  }
  if (p >= limit) return cut;
  if (p === offset || buf[p] !== SP) return START_LINE_NOT_SIP;
  const uriStart = ++p;
  // Request-URI: no spaces or controls (it is a SIP-URI, SIPS-URI or absoluteURI).
  while (p < limit && buf[p] > SP && buf[p] !== 0x7f) p++;
  if (p >= limit) return cut;
  if (p === uriStart || buf[p] !== SP) return START_LINE_NOT_SIP;
  const afterRequestVersion = matchSipVersion(buf, p + 1, limit);
  if (afterRequestVersion === -2) return cut;
  if (afterRequestVersion < 0) return START_LINE_NOT_SIP;
  if (afterRequestVersion >= limit) return cut;
  const b = buf[afterRequestVersion];
  return b === CR || b === LF ? START_LINE_SIP : START_LINE_NOT_SIP;
}

/**
 * True when bytes at offset start with a SIP request line (`METHOD SP Request-URI SP SIP/2.0`,
 * method a token) or a status line (`SIP/2.0 SP 3DIGIT SP`). Checks only the first line, bounded length.
 */
export function looksLikeSip(buf: Buffer, offset: number): boolean {
  return startLineStatus(buf, offset, buf.length) === START_LINE_SIP;
}

/** First offset at or after `pos` (before `end`) that is not CR or LF: keep-alives are CRLF runs (RFC 5626 §3.5.1). */
export function skipLineBreaks(buf: Buffer, pos: number, end: number): number {
  while (pos < end && (buf[pos] === CR || buf[pos] === LF)) pos++;
  return pos;
}

/**
 * Offset of the first line start in [from, end) (a byte right after LF) where a SIP start line
 * begins or may begin (undecided at `end`), or -1. Used to resynchronise a stream after a gap
 * or after bytes that are not SIP.
 */
export function nextSipLineStart(buf: Buffer, from: number, end: number): number {
  let p = from;
  while (p < end) {
    const lf = buf.indexOf(LF, p);
    if (lf < 0 || lf + 1 >= end) return -1;
    p = lf + 1;
    if (startLineStatus(buf, p, end) !== START_LINE_NOT_SIP) return p;
  }
  return -1;
}

/**
 * Value of the Content-Length header (or its compact form "l") among the header lines in
 * [pos, headersEnd), or 0 when there is none or it is not a number. Names are case-insensitive
 * (§7.3.1), may be followed by whitespace before the colon, and the value may be folded onto a
 * continuation line.
 */
function contentLengthOf(buf: Buffer, pos: number, headersEnd: number): number {
  while (pos < headersEnd) {
    let lineEnd = buf.indexOf(LF, pos);
    if (lineEnd < 0 || lineEnd > headersEnd) lineEnd = headersEnd;
    const first = buf[pos] | 0x20;
    if (first === 0x63 /* c */ || first === 0x6c /* l */) {
      let p = pos;
      if (first === 0x63) {
        if (lineEnd - pos < CONTENT_LENGTH.length) {
          pos = lineEnd + 1;
          continue;
        }
        let same = true;
        for (let i = 1; i < CONTENT_LENGTH.length; i++) {
          if ((buf[pos + i] | 0x20) !== CONTENT_LENGTH[i]) {
            same = false;
            break;
          }
        }
        p = same ? pos + CONTENT_LENGTH.length : -1;
      } else {
        p = pos + 1;
      }
      if (p > 0) {
        while (p < lineEnd && (buf[p] === SP || buf[p] === HT)) p++;
        if (p < lineEnd && buf[p] === COLON) return parseLengthValue(buf, p + 1, headersEnd);
      }
    }
    pos = lineEnd + 1;
  }
  return 0;
}

/** Decimal digits after linear whitespace (folding included: CRLF followed by SP or HT). Not a number: 0. */
function parseLengthValue(buf: Buffer, p: number, headersEnd: number): number {
  for (;;) {
    while (p < headersEnd && (buf[p] === SP || buf[p] === HT)) p++;
    if (p < headersEnd && buf[p] === CR) p++;
    if (p < headersEnd && buf[p] === LF && p + 1 < headersEnd && (buf[p + 1] === SP || buf[p + 1] === HT)) {
      p++;
      continue;
    }
    break;
  }
  let value = 0;
  let digits = 0;
  while (p < headersEnd && buf[p] >= 0x30 && buf[p] <= 0x39 && digits < 15) {
    value = value * 10 + (buf[p] - 0x30);
    p++;
    digits++;
  }
  return value;
}

/**
 * Stream framing (RFC 3261 §18.3): length of the SIP message starting at offset (headers to
 * CRLFCRLF, then Content-Length — also compact `l:`, case-insensitive, folded lines — bytes of
 * body), or -1 if more bytes are needed, or -2 if the bytes there are not a SIP message start.
 * A message without Content-Length has an empty body (the header is mandatory on streams).
 * A positive result always fits before `end`: the whole message is there.
 */
export function sipMessageLength(buf: Buffer, offset: number, end: number): number {
  const length = sipMessageLengthFrom(buf, offset, end, offset);
  return length > 0 && offset + length > end ? NEED_MORE : length;
}

/**
 * The length the message at `offset` declares, as soon as its header is complete (the body may
 * still be short of `end`: the stream decoder then knows how many bytes to wait for), NEED_MORE
 * or NOT_SIP. The blank line is searched for from `searchFrom` (no earlier than offset): a
 * caller that already searched the first bytes of a growing buffer skips them.
 */
export function sipMessageLengthFrom(buf: Buffer, offset: number, end: number, searchFrom: number): number {
  const status = startLineStatus(buf, offset, end);
  if (status === START_LINE_NOT_SIP) return NOT_SIP;
  if (status === START_LINE_UNDECIDED) return NEED_MORE;
  const blank = buf.indexOf(CRLFCRLF, Math.max(offset, searchFrom));
  if (blank < 0 || blank + 4 > end) return NEED_MORE;
  const firstLineEnd = buf.indexOf(LF, offset);
  const headersEnd = blank + 2; // keeps the CRLF that ends the last header line
  const bodyLength = contentLengthOf(buf, firstLineEnd + 1, headersEnd);
  return blank + 4 - offset + bodyLength;
}
