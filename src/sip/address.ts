// Byte-level readers for the structured header values the scanner needs: name-addr / addr-spec
// (From, To, Contact, RFC 3261 §20.10, §25.1) and Via (§20.42). Results are offsets into the
// buffer, written to module-level objects that stay valid until the next call.
import { indexOfByte } from '../buffer-calls.js';
import { Byte, findTopLevel, skipQuoted, skipWhitespace, trimEnd } from './bytes.js';

/** Ranges found by scanNameAddr. displayStart === displayEnd when there is no display name. */
export const nameAddr = { displayStart: 0, displayEnd: 0, uriStart: 0, uriEnd: 0, paramsStart: 0 };

/**
 * Reads the first value of a From / To / Contact style header in buf[start, end):
 *   name-addr = [ display-name ] "<" URI ">" *( ";" param )   (display-name: tokens or a quoted string)
 *   addr-spec = URI *( ";" param )   (here the URI has no parameters: "sip:a@b;tag=1" is tagged)
 * Returns false when there is no URI (empty value, "<" without ">"). The parameters run from
 * paramsStart to the next top-level comma (findParam stops there by itself).
 */
export function scanNameAddr(buf: Buffer, start: number, end: number): boolean {
  if (start < end && (buf[start] === Byte.LAQUOT || buf[start] === Byte.DQUOTE)) {
    const laquot = buf[start] === Byte.LAQUOT ? start : afterQuotedDisplay(buf, start, end);
    if (laquot >= 0) return bracketedUri(buf, start, laquot, end);
  }
  const pos = skipWhitespace(buf, start, end);
  let i = pos;
  while (i < end) {
    const b = buf[i];
    if (b === Byte.DQUOTE) i = skipQuoted(buf, i, end);
    else if (b === Byte.LAQUOT || b === Byte.SEMI || b === Byte.COMMA) break;
    else i++;
  }
  if (i < end && buf[i] === Byte.LAQUOT) return bracketedUri(buf, pos, i, end);
  nameAddr.displayStart = nameAddr.displayEnd = pos;
  nameAddr.uriStart = pos;
  nameAddr.uriEnd = trimEnd(buf, pos, i);
  nameAddr.paramsStart = i;
  return nameAddr.uriEnd > nameAddr.uriStart;
}

/**
 * The usual display name, a quoted string without quoted-pairs followed by SP or HT and "<":
 * the offset of that "<", or -1 when the value is written otherwise.
 */
function afterQuotedDisplay(buf: Buffer, start: number, end: number): number {
  let pos = start + 1;
  while (pos < end && buf[pos] !== Byte.DQUOTE && buf[pos] !== Byte.BACKSLASH) pos++;
  if (pos >= end || buf[pos] !== Byte.DQUOTE) return -1;
  pos++;
  while (pos < end && (buf[pos] === Byte.SP || buf[pos] === Byte.HT)) pos++;
  return pos < end && buf[pos] === Byte.LAQUOT ? pos : -1;
}

/**
 * scanNameAddr for a value that starts at `start` (no whitespace before it) with a display name
 * that ends at `laquot` (none when they are equal), where the "<" is.
 */
function bracketedUri(buf: Buffer, start: number, laquot: number, end: number): boolean {
  const close = indexOfByte(buf, Byte.RAQUOT, laquot + 1);
  if (close < 0 || close >= end) return false;
  nameAddr.displayStart = start;
  nameAddr.displayEnd = trimEnd(buf, start, laquot);
  nameAddr.uriStart = skipWhitespace(buf, laquot + 1, close);
  nameAddr.uriEnd = trimEnd(buf, nameAddr.uriStart, close);
  nameAddr.paramsStart = close + 1;
  return nameAddr.uriEnd > nameAddr.uriStart;
}

/** Ranges found by scanVia. */
export const via = { protocolStart: 0, protocolEnd: 0, transportStart: 0, transportEnd: 0, sentByStart: 0, sentByEnd: 0, paramsStart: 0 };

/**
 * Reads the first value of a Via header in buf[start, end):
 *   via-parm = sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport   (SLASH = SWS "/" SWS)
 * Returns false when the sent-protocol or the sent-by is missing.
 */
export function scanVia(buf: Buffer, start: number, end: number): boolean {
  const protocolStart = skipWhitespace(buf, start, end);
  let pos = protocolStart;
  if (startsWithSip20(buf, pos, end)) {
    // The protocol as nearly everyone writes it: its two slashes are where they always are.
    pos += SIP_2_0_SLASH.length;
  } else {
    for (let slashes = 0; slashes < 2; slashes++) {
      while (pos < end && buf[pos] !== Byte.SLASH && buf[pos] !== Byte.COMMA) pos++;
      if (pos >= end || buf[pos] !== Byte.SLASH) return false;
      pos++;
    }
  }
  via.protocolStart = protocolStart;
  via.protocolEnd = pos - 1;
  via.transportStart = skipWhitespace(buf, pos, end);
  pos = via.transportStart;
  while (pos < end) {
    const b = buf[pos];
    if (b === Byte.COMMA || b === Byte.SEMI || b === Byte.SP || b === Byte.HT || b === Byte.CR || b === Byte.LF) break;
    pos++;
  }
  via.transportEnd = pos;
  via.sentByStart = skipWhitespace(buf, pos, end);
  pos = via.sentByStart;
  while (pos < end) {
    const b = buf[pos];
    if (b === Byte.SEMI || b === Byte.COMMA) break;
    pos++;
  }
  via.sentByEnd = trimEnd(buf, via.sentByStart, pos);
  via.paramsStart = pos; // the parameters run to the next top-level comma
  return via.transportEnd > via.transportStart && via.sentByEnd > via.sentByStart;
}

/** "SIP/2.0/" exactly as RFC 3261 writes it (the literal is case-insensitive: other spellings take the general path). */
const SIP_2_0_SLASH = Uint8Array.from('SIP/2.0/', (ch) => ch.charCodeAt(0));

function startsWithSip20(buf: Buffer, pos: number, end: number): boolean {
  if (end - pos < SIP_2_0_SLASH.length) return false;
  for (let i = 0; i < SIP_2_0_SLASH.length; i++) if (buf[pos + i] !== SIP_2_0_SLASH[i]) return false;
  return true;
}

/**
 * Number of comma-separated values in buf[start, end) (commas inside quotes or <> do not count,
 * empty values are not counted: "a, , b" holds two).
 */
export function countValues(buf: Buffer, start: number, end: number): number {
  const anyComma = indexOfByte(buf, Byte.COMMA, start);
  if (anyComma < 0 || anyComma >= end) return end > start ? 1 : 0; // the common case, found natively
  let count = 0;
  let pos = start;
  while (pos < end) {
    const valueStart = skipWhitespace(buf, pos, end);
    const comma = findTopLevel(buf, valueStart, end, Byte.COMMA);
    if (trimEnd(buf, valueStart, comma) > valueStart) count++;
    pos = comma + 1;
  }
  return count;
}
