// Byte-level helpers shared by the hot-path scanner and the on-demand parsers.
// Everything works on a Buffer with [start, end) offsets so that no string is
// built for bytes nobody asked for.
import { indexOfByte, utf8Of } from '../buffer-calls.js';

/**
 * Byte values. A const enum, so that the compiler writes the numbers into the code: V8 (as in
 * Node 20) reads an exported or imported constant from its module binding, with a check, at
 * every use, which made the byte loops half again as slow.
 */
export const enum Byte {
  SP = 0x20,
  HT = 0x09,
  CR = 0x0d,
  LF = 0x0a,
  DQUOTE = 0x22,
  BACKSLASH = 0x5c,
  COMMA = 0x2c,
  SEMI = 0x3b,
  COLON = 0x3a,
  EQUALS = 0x3d,
  LAQUOT = 0x3c,
  RAQUOT = 0x3e,
  SLASH = 0x2f,
}

/** ASCII lower-case table: LOWER[b] is b with A-Z mapped to a-z, every other byte unchanged. */
const LOWER: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) t[i] = i >= 0x41 && i <= 0x5a ? i + 0x20 : i;
  return t;
})();

/** Lower-case ASCII bytes of `text`, for case-insensitive comparisons against a Buffer. */
export function lowerBytes(text: string): Uint8Array {
  return Uint8Array.from(text.toLowerCase(), (ch) => ch.charCodeAt(0));
}

/**
 * WHITESPACE[b] is 1 for SP, HT, CR and LF. The loops read this table, a constant of the
 * module's own, rather than call a function: a call through an exported binding is checked at
 * every iteration.
 */
const WHITESPACE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const b of [Byte.SP, Byte.HT, Byte.CR, Byte.LF]) t[b] = 1;
  return t;
})();

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
  while (pos < end && WHITESPACE[buf[pos]] === 1) pos++;
  return pos;
}

/** `end` moved left over trailing SP, HT, CR and LF, not below `start`. */
export function trimEnd(buf: Buffer, start: number, end: number): number {
  while (end > start && WHITESPACE[buf[end - 1]] === 1) end--;
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
    if (b === Byte.BACKSLASH) pos += 2;
    else if (b === Byte.DQUOTE) return pos + 1;
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
    if (b === Byte.DQUOTE) pos = skipQuoted(buf, pos, end);
    else if (b === Byte.LAQUOT) {
      const close = indexOfByte(buf, Byte.RAQUOT, pos + 1);
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
  while (pos < end && buf[pos] >= 0x30 && buf[pos] <= 0x39) {
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
    if (b < 0x30 || b > 0x39) return null;
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
  return unfold(utf8Of(buf, start, end));
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

/** Where findParam / findAuthParam found a value: [start, end) in the buffer. Valid until the next call. */
export const foundValue = { start: 0, end: 0 };

/** PARAM_DELIMITER[b] is 1 for the bytes that end a parameter name or token value: ; , = and whitespace. */
const PARAM_DELIMITER: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const b of [Byte.SEMI, Byte.COMMA, Byte.EQUALS, Byte.SP, Byte.HT, Byte.CR, Byte.LF]) t[b] = 1;
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
  if (!atName && firstParamValue(buf, pos, end, lowerName)) return true;
  while (pos < end) {
    if (!atName) {
      const b = buf[pos];
      if (b === Byte.COMMA) return false;
      if (b === Byte.DQUOTE) {
        pos = skipQuoted(buf, pos, end);
        continue;
      }
      pos++;
      if (b !== Byte.SEMI) continue;
    }
    atName = false;
    const nameStart = skipWhitespace(buf, pos, end);
    let nameEnd = nameStart;
    while (nameEnd < end && !isParamDelimiter(buf[nameEnd])) nameEnd++;
    let valueStart = nameEnd;
    let valueEnd = nameEnd;
    pos = skipWhitespace(buf, nameEnd, end);
    if (pos < end && buf[pos] === Byte.EQUALS) {
      valueStart = skipWhitespace(buf, pos + 1, end);
      if (valueStart < end && buf[valueStart] === Byte.DQUOTE) valueEnd = skipQuoted(buf, valueStart, end);
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
 * findParam for the usual case: the parameter is the first one, written ";name=value" in lower
 * case without whitespace, its value a token. False when it is not (findParam then looks on).
 */
function firstParamValue(buf: Buffer, pos: number, end: number, lowerName: Uint8Array): boolean {
  const n = lowerName.length;
  const valueStart = pos + n + 2;
  if (valueStart >= end || buf[pos] !== Byte.SEMI || buf[valueStart - 1] !== Byte.EQUALS) return false;
  for (let i = 0; i < n; i++) if (buf[pos + 1 + i] !== lowerName[i]) return false;
  const first = buf[valueStart];
  if (first === Byte.DQUOTE || WHITESPACE[first] === 1) return false;
  let valueEnd = valueStart;
  while (valueEnd < end && PARAM_DELIMITER[buf[valueEnd]] === 0) valueEnd++;
  foundValue.start = valueStart;
  foundValue.end = valueEnd;
  return true;
}

/**
 * Looks for the auth-param `lowerName` in a challenge or credentials value (RFC 3261 §25.1:
 * `Digest realm="x", nonce="y", ...`): the scheme token first, then comma-separated
 * name=value pairs. On success foundValue holds the value, quotes included.
 */
export function findAuthParam(buf: Buffer, start: number, end: number, lowerName: Uint8Array): boolean {
  let pos = start;
  while (pos < end && WHITESPACE[buf[pos]] === 0) pos++; // the scheme
  while (pos < end) {
    while (pos < end && (buf[pos] === Byte.COMMA || WHITESPACE[buf[pos]] === 1)) pos++;
    const nameStart = pos;
    while (pos < end && !isParamDelimiter(buf[pos])) pos++;
    const nameEnd = pos;
    pos = skipWhitespace(buf, pos, end);
    if (pos >= end || buf[pos] !== Byte.EQUALS) {
      if (pos === nameStart) pos++; // a stray ';' or '=': step over it
      continue;
    }
    const valueStart = skipWhitespace(buf, pos + 1, end);
    let valueEnd = valueStart;
    if (valueStart < end && buf[valueStart] === Byte.DQUOTE) valueEnd = skipQuoted(buf, valueStart, end);
    else while (valueEnd < end && buf[valueEnd] !== Byte.COMMA && WHITESPACE[buf[valueEnd]] === 0) valueEnd++;
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
