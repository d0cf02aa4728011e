// Byte-level helpers shared by the hot-path scanner and the on-demand parsers.
// Everything works on a Buffer with [start, end) offsets so that no string is
// built for bytes nobody asked for.

export const SP = 0x20;
export const HT = 0x09;
export const CR = 0x0d;
export const LF = 0x0a;
export const DQUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const SEMI = 0x3b;
export const COLON = 0x3a;
const EQUALS = 0x3d;
export const LAQUOT = 0x3c;
export const RAQUOT = 0x3e;
export const SLASH = 0x2f;

/** ASCII lower-case table: LOWER[b] is b with A-Z mapped to a-z, every other byte unchanged. */
export const LOWER: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) t[i] = i >= 0x41 && i <= 0x5a ? i + 0x20 : i;
  return t;
})();

/** Lower-case ASCII bytes of `text`, for case-insensitive comparisons against a Buffer. */
export function lowerBytes(text: string): Uint8Array {
  return Uint8Array.from(text.toLowerCase(), (ch) => ch.charCodeAt(0));
}

export function isWhitespace(b: number): boolean {
  return b === SP || b === HT || b === CR || b === LF;
}

export function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** True when buf[start, start + lower.length) equals `lower` ignoring ASCII case. Never reads past `end`. */
export function equalsIgnoreCase(buf: Buffer, start: number, end: number, lower: Uint8Array): boolean {
  const n = lower.length;
  if (end - start < n) return false;
  for (let i = 0; i < n; i++) {
    if (LOWER[buf[start + i]] !== lower[i]) return false;
  }
  return true;
}

/** First offset in [pos, end) that is not SP, HT, CR or LF (folded lines included), or `end`. */
export function skipWhitespace(buf: Buffer, pos: number, end: number): number {
  while (pos < end && isWhitespace(buf[pos])) pos++;
  return pos;
}

/** `end` moved left over trailing SP, HT, CR and LF, not below `start`. */
export function trimEnd(buf: Buffer, start: number, end: number): number {
  while (end > start && isWhitespace(buf[end - 1])) end--;
  return end;
}

/**
 * Offset just past the quoted string that opens at `pos` (buf[pos] is '"'), or `end` when it
 * never closes. RFC 3261 §25.1: quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F) escapes one byte.
 */
export function skipQuoted(buf: Buffer, pos: number, end: number): number {
  pos++;
  while (pos < end) {
    const b = buf[pos];
    if (b === BACKSLASH) pos += 2;
    else if (b === DQUOTE) return pos + 1;
    else pos++;
  }
  return end;
}

/**
 * The next top-level `stop` byte in [pos, end): bytes inside quoted strings and inside <...>
 * (a URI may hold commas and semicolons) are skipped. Returns `end` when there is none.
 */
export function findTopLevel(buf: Buffer, pos: number, end: number, stop: number): number {
  while (pos < end) {
    const b = buf[pos];
    if (b === stop) return pos;
    if (b === DQUOTE) pos = skipQuoted(buf, pos, end);
    else if (b === LAQUOT) {
      const close = buf.indexOf(RAQUOT, pos + 1);
      pos = close < 0 || close >= end ? end : close + 1;
    } else pos++;
  }
  return end;
}

/**
 * Non-negative integer of the digits at [start, end), leading whitespace allowed; stops at the
 * first non-digit. null without digits or beyond 15 digits (no value SIP carries is that large,
 * and more would lose precision).
 */
export function parseLeadingInt(buf: Buffer, start: number, end: number): number | null {
  let pos = skipWhitespace(buf, start, end);
  const first = pos;
  let value = 0;
  while (pos < end && isDigit(buf[pos])) {
    value = value * 10 + (buf[pos] - 0x30);
    pos++;
  }
  const digits = pos - first;
  return digits === 0 || digits > 15 ? null : value;
}

/** Like parseLeadingInt but the whole trimmed range must be digits (Content-Length, RSeq, Expires). */
export function parseWholeInt(buf: Buffer, start: number, end: number): number | null {
  const s = skipWhitespace(buf, start, end);
  const e = trimEnd(buf, s, end);
  if (e === s || e - s > 15) return null;
  let value = 0;
  for (let i = s; i < e; i++) {
    const b = buf[i];
    if (!isDigit(b)) return null;
    value = value * 10 + (b - 0x30);
  }
  return value;
}

/**
 * A value spread over folded lines, read as RFC 3261 §7.3.1 says: each line break with the
 * whitespace around it is one SP.
 */
export function unfold(value: string): string {
  return value.indexOf('\n') < 0 ? value : value.replace(/[ \t]*\r?\n[ \t]*/g, ' ');
}

/** Text of buf[start, end) as UTF-8, unfolded. */
export function textOf(buf: Buffer, start: number, end: number): string {
  return unfold(buf.utf8Slice(start, end));
}

/** The content of a quoted string (RFC 3261 §25.1): without its quotes, quoted-pairs resolved. */
export function unquoteText(quoted: string): string {
  const backslash = quoted.indexOf('\\');
  if (backslash < 0) {
    const close = quoted.indexOf('"', 1);
    return quoted.slice(1, close < 0 ? quoted.length : close);
  }
  let out = '';
  for (let i = 1; i < quoted.length; i++) {
    const ch = quoted[i];
    if (ch === '"') break;
    if (ch === '\\' && i + 1 < quoted.length) i++;
    out += quoted[i];
  }
  return out;
}

declare global {
  interface Buffer {
    /** Node's own latin1 decoder without toString's encoding lookup (present on every Buffer since Node 0.x). */
    latin1Slice(start: number, end: number): string;
    /** Node's own UTF-8 decoder without toString's encoding lookup. */
    utf8Slice(start: number, end: number): string;
  }
}

/** Where findParam / findAuthParam found a value: [start, end) in the buffer. Valid until the next call. */
export const foundValue = { start: 0, end: 0 };

/** PARAM_DELIMITER[b] is 1 for the bytes that end a parameter name or token value: ; , = and whitespace. */
const PARAM_DELIMITER: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const b of [SEMI, COMMA, EQUALS, SP, HT, CR, LF]) t[b] = 1;
  return t;
})();

function isParamDelimiter(b: number): boolean {
  return PARAM_DELIMITER[b] === 1;
}

/**
 * Looks for the `;name[=value]` parameter `lowerName` among the parameters that follow `pos`
 * in one header value (RFC 3261 §25.1 generic-param), stopping at the comma that starts the
 * next value or at `end`. Quoted values are skipped whole. With `atName`, `pos` is already the
 * start of a parameter name (a value that begins with its first parameter, as
 * P-Charging-Vector does). On success foundValue holds the value (quotes included; empty for a
 * flag parameter such as `;lr`).
 */
export function findParam(buf: Buffer, pos: number, end: number, lowerName: Uint8Array, atName = false): boolean {
  while (pos < end) {
    if (!atName) {
      const b = buf[pos];
      if (b === COMMA) return false;
      if (b === DQUOTE) {
        pos = skipQuoted(buf, pos, end);
        continue;
      }
      pos++;
      if (b !== SEMI) continue;
    }
    atName = false;
    const nameStart = skipWhitespace(buf, pos, end);
    let nameEnd = nameStart;
    while (nameEnd < end && !isParamDelimiter(buf[nameEnd])) nameEnd++;
    let valueStart = nameEnd;
    let valueEnd = nameEnd;
    pos = skipWhitespace(buf, nameEnd, end);
    if (pos < end && buf[pos] === EQUALS) {
      valueStart = skipWhitespace(buf, pos + 1, end);
      if (valueStart < end && buf[valueStart] === DQUOTE) valueEnd = skipQuoted(buf, valueStart, end);
      else {
        valueEnd = valueStart;
        while (valueEnd < end && !isParamDelimiter(buf[valueEnd])) valueEnd++;
      }
      pos = valueEnd;
    }
    if (nameEnd - nameStart === lowerName.length && equalsIgnoreCase(buf, nameStart, nameEnd, lowerName)) {
      foundValue.start = valueStart;
      foundValue.end = valueEnd;
      return true;
    }
  }
  return false;
}

/**
 * Looks for the auth-param `lowerName` in a challenge or credentials value (RFC 3261 §25.1:
 * `Digest realm="x", nonce="y", ...`): the scheme token first, then comma-separated
 * name=value pairs. On success foundValue holds the value, quotes included.
 */
export function findAuthParam(buf: Buffer, start: number, end: number, lowerName: Uint8Array): boolean {
  let pos = start;
  while (pos < end && !isWhitespace(buf[pos])) pos++; // the scheme
  while (pos < end) {
    while (pos < end && (buf[pos] === COMMA || isWhitespace(buf[pos]))) pos++;
    const nameStart = pos;
    while (pos < end && !isParamDelimiter(buf[pos])) pos++;
    const nameEnd = pos;
    pos = skipWhitespace(buf, pos, end);
    if (pos >= end || buf[pos] !== EQUALS) {
      if (pos === nameStart) pos++; // a stray ';' or '=': step over it
      continue;
    }
    const valueStart = skipWhitespace(buf, pos + 1, end);
    let valueEnd = valueStart;
    if (valueStart < end && buf[valueStart] === DQUOTE) valueEnd = skipQuoted(buf, valueStart, end);
    else while (valueEnd < end && buf[valueEnd] !== COMMA && !isWhitespace(buf[valueEnd])) valueEnd++;
    pos = valueEnd;
    if (nameEnd - nameStart === lowerName.length && equalsIgnoreCase(buf, nameStart, nameEnd, lowerName)) {
      foundValue.start = valueStart;
      foundValue.end = valueEnd;
      return true;
    }
  }
  return false;
}

/** A parameter value as text: quoted strings unquoted, tokens as written. */
export function paramText(buf: Buffer, start: number, end: number): string {
  const text = textOf(buf, start, end);
  return text.charCodeAt(0) === 0x22 ? unquoteText(text) : text;
}

/** An empty record without a prototype, for keys taken from the wire ("constructor", "__proto__" are just names here). */
export function dictionary<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
