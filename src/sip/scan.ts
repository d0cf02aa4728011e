// The hot path: one pass over a SIP message's header block, extracting exactly the SipHead
// fields. It runs on every message of multi-gigabyte captures, so it works on the Buffer with
// offsets and recognises a header while it reads the name, giving up on one it does not need
// at the first byte that says so. The pass records where each string field lies; only those
// fields become strings, and most of those are cut from one decoded header block.
import type { SdpSummary, SipHead } from '../model.js';
import { indexOfByte, latin1Of, utf8Of } from '../buffer-calls.js';
import { countValues, nameAddr, scanNameAddr, scanVia, via } from './address.js';
import {
  Byte, equalsIgnoreCase, findAuthParam, findParam, foundValue, isDigit, lowerBytes, parseLeadingInt, parseWholeInt, skipWhitespace, trimEnd, unfold, unquoteText,
} from './bytes.js';
import { bodyParts, mediaTypeOf } from './multipart.js';
import { summarizeAsciiSdp, summarizeSdpBody } from './sdp.js';
import { allResponses } from '../knowledge/index.js';

// Header identities. Numbers, not strings, so the dispatch is a switch on a small integer.
const H_VIA = 1;
const H_CALL_ID = 2;
const H_CSEQ = 3;
const H_FROM = 4;
const H_TO = 5;
const H_CONTACT = 6;
const H_CONTENT_TYPE = 7;
const H_CONTENT_LENGTH = 8;
const H_EXPIRES = 9;
const H_MIN_EXPIRES = 10;
const H_RETRY_AFTER = 11;
const H_RSEQ = 12;
const H_RACK = 13;
const H_SESSION_EXPIRES = 14;
const H_SUBSCRIPTION_STATE = 15;
const H_EVENT = 16;
const H_CREDENTIALS = 17;
const H_CHALLENGE = 18;
const H_USER_AGENT = 19;
const H_SERVER = 20;
const H_X_CALL_ID = 21;
const H_P_CHARGING_VECTOR = 22;

/** Every header the scanner reads, full and compact names (RFC 3261 §7.3.3, RFC 6665 o, RFC 4028 x). */
const KNOWN_HEADERS: [string, number][] = [
  ['via', H_VIA], ['v', H_VIA],
  ['call-id', H_CALL_ID], ['i', H_CALL_ID],
  ['cseq', H_CSEQ],
  ['from', H_FROM], ['f', H_FROM],
  ['to', H_TO], ['t', H_TO],
  ['contact', H_CONTACT], ['m', H_CONTACT],
  ['content-type', H_CONTENT_TYPE], ['c', H_CONTENT_TYPE],
  ['content-length', H_CONTENT_LENGTH], ['l', H_CONTENT_LENGTH],
  ['expires', H_EXPIRES],
  ['min-expires', H_MIN_EXPIRES],
  ['retry-after', H_RETRY_AFTER],
  ['rseq', H_RSEQ],
  ['rack', H_RACK],
  ['session-expires', H_SESSION_EXPIRES], ['x', H_SESSION_EXPIRES],
  ['subscription-state', H_SUBSCRIPTION_STATE],
  ['event', H_EVENT], ['o', H_EVENT],
  ['authorization', H_CREDENTIALS], ['proxy-authorization', H_CREDENTIALS],
  ['www-authenticate', H_CHALLENGE], ['proxy-authenticate', H_CHALLENGE],
  ['user-agent', H_USER_AGENT],
  ['server', H_SERVER],
  // Leg correlation written by B2BUAs and SBCs: the Call-ID of the other leg.
  ['x-call-id', H_X_CALL_ID], ['x-cid', H_X_CALL_ID], ['x-orig-call-id', H_X_CALL_ID], ['x-original-call-id', H_X_CALL_ID],
  ['p-charging-vector', H_P_CHARGING_VECTOR], // RFC 7315 §4.6: icid-value correlates IMS legs
];

/** NAME_CLASS[b]: 1 to 26 for a letter (either case), 27 for '-', 0 for a byte no known name holds. */
const NAME_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 26; i++) t[0x41 + i] = t[0x61 + i] = i + 1;
  t[0x2d] = 27;
  return t;
})();
const NAME_CLASSES = 28;
const NAME_START = 1;

/**
 * KNOWN_HEADERS as a trie walked one byte of the name at a time: NAME_STEP[state * NAME_CLASSES
 * + NAME_CLASS[b]] is the next state, 0 once the bytes so far begin no known name; NAME_ID[state]
 * is the header whose whole name ends in that state, 0 for a mere prefix. One pass over the name
 * both finds its end and identifies it, and an unknown name is given up at its first byte that
 * no known name has there (for most, the first or the second).
 */
const { NAME_STEP, NAME_ID } = (() => {
  const steps: number[] = new Array<number>(2 * NAME_CLASSES).fill(0);
  const ids: number[] = [0, 0];
  for (const [name, id] of KNOWN_HEADERS) {
    let state = NAME_START;
    for (const byte of lowerBytes(name)) {
      const slot = state * NAME_CLASSES + NAME_CLASS[byte];
      if (steps[slot] === 0) {
        steps[slot] = ids.length;
        ids.push(0);
        for (let i = 0; i < NAME_CLASSES; i++) steps.push(0);
      }
      state = steps[slot];
    }
    ids[state] = id;
  }
  return { NAME_STEP: Uint16Array.from(steps), NAME_ID: Uint8Array.from(ids) };
})();

const TAG = lowerBytes('tag');
const BRANCH = lowerBytes('branch');
const EXPIRES_PARAM = lowerBytes('expires');
const REALM = lowerBytes('realm');
const NONCE = lowerBytes('nonce');
const ICID_VALUE = lowerBytes('icid-value');
const SIP_SLASH = lowerBytes('sip/');
const SIP_2_0 = lowerBytes('sip/2.0');

/** RFC 3261 §25.1 token characters: alphanumerics and -.!%*_+`'~ */
const TOKEN_CHAR: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let b = 0x30; b <= 0x39; b++) t[b] = 1;
  for (let b = 0x41; b <= 0x5a; b++) t[b] = t[b + 0x20] = 1;
  for (const ch of "-.!%*_+`'~") t[ch.charCodeAt(0)] = 1;
  return t;
})();

function isTokenRange(buf: Buffer, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) if (TOKEN_CHAR[buf[i]] === 0) return false;
  return true;
}

// String fields, as slots of `ranges`: the field's bytes are ranges[2 * slot] to
// ranges[2 * slot + 1], once the field has been seen.
// Every field is cut from one decoded block of the message (see FieldCutter).
const S_CALL_ID = 0;
const S_BRANCH = 1;
const S_FROM_TAG = 2;
const S_TO_TAG = 3;
const S_CONTACT_URI = 4;
const S_AUTH_REALM = 5;
const S_AUTH_NONCE = 6;
const S_X_CALL_ID = 7;
const S_ICID = 8;
const S_METHOD = 9;
const S_REQUEST_URI = 10;
const S_REASON = 11;
/** The whole CSeq value, recorded only when it is already "<seq> <METHOD>". */
const S_CSEQ = 12;
const S_CSEQ_METHOD = 13;
const S_SENT_BY = 14;
const S_FROM_URI = 15;
const S_FROM_DISPLAY = 16;
const S_TO_URI = 17;
const S_TO_DISPLAY = 18;
const S_CONTENT_TYPE = 19;
const S_RACK = 20;
const S_SUBSCRIPTION_STATE = 21;
const S_EVENT = 22;
const S_USER_AGENT = 23;
const S_SERVER = 24;
const SLOT_COUNT = 25;

/** Field ranges of the message being scanned (scanSip is synchronous: one message at a time). */
const ranges = new Int32Array(SLOT_COUNT * 2);
/**
 * Per slot, the number of the scan that recorded it: a slot is seen in this scan when it holds
 * `scanNumber`, so nothing needs clearing between messages.
 */
const recordedBy = new Int32Array(SLOT_COUNT);
let scanNumber = 0;

/** Starts a scan: stale ranges become unseen. */
function nextScan(): void {
  if (scanNumber === 0x7fffffff) {
    recordedBy.fill(0);
    scanNumber = 0;
  }
  scanNumber++;
}

function record(slot: number, start: number, end: number): void {
  ranges[2 * slot] = start;
  ranges[2 * slot + 1] = end;
  recordedBy[slot] = scanNumber;
}

function seen(slot: number): boolean {
  return recordedBy[slot] === scanNumber;
}

function appendReason(current: string | null, reason: string): string {
  return current === null ? reason : current + '; ' + reason;
}

/**
 * What scanSip returns: every SipHead field at its initial value until the scan sets it. One
 * class gives every head (and every message, which extends it) one hidden class from the start.
 */
export class ScannedHead implements SipHead {
  isRequest = false;
  method: string | null = null;
  requestUri: string | null = null;
  status: number | null = null;
  reason: string | null = null;
  callId: string | null = null;
  cseq: string | null = null;
  cseqSeq: number | null = null;
  cseqMethod: string | null = null;
  branch: string | null = null;
  sentBy: string | null = null;
  viaCount = 0;
  fromUri: string | null = null;
  fromTag: string | null = null;
  fromDisplay: string | null = null;
  toUri: string | null = null;
  toTag: string | null = null;
  toDisplay: string | null = null;
  contactUri: string | null = null;
  contactExpires: number | null = null;
  contentType: string | null = null;
  contentLength: number | null = null;
  bodyLength = 0;
  expires: number | null = null;
  minExpires: number | null = null;
  retryAfter: number | null = null;
  rseq: number | null = null;
  rack: string | null = null;
  sessionExpires: number | null = null;
  subscriptionState: string | null = null;
  event: string | null = null;
  hasCredentials = false;
  authRealm: string | null = null;
  authNonce: string | null = null;
  userAgent: string | null = null;
  xCallId: string | null = null;
  icid: string | null = null;
  sdp: SdpSummary | null = null;
  malformed: string | null = null;
}

/**
 * Reads the start line in buf[start, end). Returns false when it is neither
 *   Request-Line = Method SP Request-URI SP SIP-Version
 *   Status-Line  = SIP-Version SP Status-Code SP Reason-Phrase   (RFC 3261 §7.1, §7.2)
 * What could be read is kept even then.
 */
function scanStartLine(buf: Buffer, start: number, end: number, head: SipHead): boolean {
  // The first word is short (a method or "SIP/2.0"): a loop finds its end sooner than a search.
  let space1 = start;
  while (space1 < end && buf[space1] !== Byte.SP) space1++;
  if (equalsIgnoreCase(buf, start, space1, SIP_SLASH)) {
    const codeStart = space1 + 1;
    const codeEnd = codeStart + 3;
    if (codeEnd > end || !isDigit(buf[codeStart]) || !isDigit(buf[codeStart + 1]) || !isDigit(buf[codeStart + 2])) return false;
    if (codeEnd < end && buf[codeEnd] !== Byte.SP) return false;
    const status = (buf[codeStart] - 0x30) * 100 + (buf[codeStart + 1] - 0x30) * 10 + (buf[codeStart + 2] - 0x30);
    if (status < 100 || status > 699) return false;
    head.status = status;
    record(S_REASON, Math.min(codeEnd + 1, end), end);
    return space1 - start === SIP_2_0.length && equalsIgnoreCase(buf, start, space1, SIP_2_0);
  }
  if (!isTokenRange(buf, start, space1) || space1 >= end) return false;
  head.isRequest = true;
  record(S_METHOD, start, space1);
  const uriStart = space1 + 1;
  const secondSpace = indexOfByte(buf, Byte.SP, uriStart);
  if (secondSpace < 0 || secondSpace >= end || secondSpace === uriStart) return false;
  record(S_REQUEST_URI, uriStart, secondSpace);
  return end - secondSpace - 1 === SIP_2_0.length && equalsIgnoreCase(buf, secondSpace + 1, end, SIP_2_0);
}

/** CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16). Returns false when the value is not that. */
function scanCSeq(buf: Buffer, start: number, end: number, head: SipHead): boolean {
  let pos = start;
  let seq = 0;
  while (pos < end && buf[pos] >= 0x30 && buf[pos] <= 0x39) seq = seq * 10 + (buf[pos++] - 0x30);
  const digits = pos - start;
  // The sequence number must be below 2**31 (§8.1.1.5): ten digits at most.
  if (digits === 0 || digits > 10) return false;
  const methodStart = skipWhitespace(buf, pos, end);
  if (methodStart === pos || methodStart >= end) return false;
  let methodEnd = methodStart;
  while (methodEnd < end && TOKEN_CHAR[buf[methodEnd]] === 1) methodEnd++;
  if (trimEnd(buf, methodEnd, end) !== methodEnd) return false;
  head.cseqSeq = seq;
  record(S_CSEQ_METHOD, methodStart, methodEnd);
  if (methodStart === pos + 1 && buf[pos] === Byte.SP && (buf[start] !== 0x30 || digits === 1)) record(S_CSEQ, start, methodEnd);
  return true;
}

/** Records the URI, display name and tag of a From or To value; false when it has no URI. */
function scanParty(buf: Buffer, start: number, end: number, uriSlot: number, displaySlot: number, tagSlot: number): boolean {
  if (!scanNameAddr(buf, start, end)) return false;
  record(uriSlot, nameAddr.uriStart, nameAddr.uriEnd);
  if (nameAddr.displayEnd > nameAddr.displayStart) record(displaySlot, nameAddr.displayStart, nameAddr.displayEnd);
  if (findParam(buf, nameAddr.paramsStart, end, TAG)) record(tagSlot, foundValue.start, foundValue.end);
  return true;
}

function hasHighByte(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] >= 0x80) return true;
  return false;
}

/** host[:port] without the whitespace RFC 3261 allows around the colon (sent-by = host [ COLON port ], COLON = SWS ":" SWS). */
function compactSentBy(sentBy: string | null): string | null {
  return sentBy !== null && (sentBy.indexOf(' ') >= 0 || sentBy.indexOf('\t') >= 0) ? sentBy.replace(/\s+/g, '') : sentBy;
}

const EMPTY = Buffer.alloc(0);

/**
 * Values that most messages write the same way, as strings made once: a field whose bytes are
 * one of them is that string (no allocation, and equal values are one string for whoever
 * compares or keys on them); any other value is cut as usual. Grouped so that a field is
 * compared with few candidates.
 */
const METHODS: readonly string[] = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE'];
const CONTENT_TYPES: readonly string[] = ['application/sdp'];
/** The reason phrase of each status code the knowledge base knows (RFC 3261 §21 and the extensions), by code. */
const REASON_PHRASES: readonly (readonly string[])[] = (() => {
  const byStatus: string[][] = Array.from({ length: 700 }, () => []);
  for (const r of allResponses()) byStatus[r.code]!.push(r.reason);
  return byStatus;
})();

/** True when buf[start, end) holds exactly the characters of `text` (ASCII). */
function bytesAre(buf: Buffer, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[start + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * Makes the string fields. Decoding each field on its own costs a call into Node per field,
 * the scanner's largest cost; so the message is decoded once and the fields are substrings of
 * it. V8 keeps a substring's parent alive (a "sliced string", from 13 characters on): whoever
 * keeps a value beyond the message (the analysis keeps Call-IDs, tags, branches for the whole
 * capture) copies it first (detached() in analysis/message-log.ts), so that no message
 * outlives itself. A block that is not pure ASCII is not used: there byte offsets are not
 * character offsets. `folded` says whether any header spans several lines.
 */
class FieldCutter {
  private buf: Buffer = EMPTY;
  /** The decoded bytes from the start of the message, when they are pure ASCII (every field is then a substring); else null. */
  private block: string | null = null;
  private folded = false;

  /**
   * Starts on the message in buf, whose fields all lie before headerEnd. `whole` is the whole
   * message decoded when it is pure ASCII, else null: then the header block alone may still be.
   */
  reset(buf: Buffer, headerEnd: number, whole: string | null, folded: boolean): void {
    this.buf = buf;
    this.folded = folded;
    this.block = whole ?? asciiText(buf, headerEnd);
  }

  /** Lets go of the message (the cutter outlives it). */
  release(): void {
    this.buf = EMPTY;
    this.block = null;
  }

  /** A token field (method, CSeq, sent-by, Call-ID, tags, branch): its bytes as they are. */
  token(slot: number): string | null {
    if (!seen(slot)) return null;
    const start = ranges[2 * slot];
    const end = ranges[2 * slot + 1];
    const value = this.block !== null ? this.block.substring(start, end) : latin1Of(this.buf, start, end);
    return this.folded ? unfold(value) : value;
  }

  /** A field that is mostly one of `values` (see METHODS): that string, else the field as text. */
  common(slot: number, values: readonly string[]): string | null {
    if (!seen(slot)) return null;
    const start = ranges[2 * slot];
    const end = ranges[2 * slot + 1];
    for (let i = 0; i < values.length; i++) if (bytesAre(this.buf, start, end, values[i])) return values[i];
    return this.text(slot);
  }

  /** A free-text field (URI, display name, reason, User-Agent, Contact): UTF-8. */
  text(slot: number): string | null {
    if (!seen(slot)) return null;
    const start = ranges[2 * slot];
    const end = ranges[2 * slot + 1];
    const value = this.block !== null ? this.block.substring(start, end) : this.decodeText(start, end);
    return this.folded ? unfold(value) : value;
  }

  /** A field that may be a quoted string (display name, realm, nonce, icid): unquoted. */
  quotable(slot: number): string | null {
    const block = this.block;
    if (block !== null && !this.folded && seen(slot)) {
      // The usual quoted display name: the text up to the closing quote, cut at once. A
      // quoted-pair before that quote takes unquoteText below.
      const buf = this.buf;
      const start = ranges[2 * slot];
      const end = ranges[2 * slot + 1];
      if (start < end && buf[start] === Byte.DQUOTE) {
        let i = start + 1;
        while (i < end && buf[i] !== Byte.DQUOTE && buf[i] !== Byte.BACKSLASH) i++;
        if (i === end || buf[i] === Byte.DQUOTE) return block.substring(start + 1, i);
      }
    }
    return unquoted(this.text(slot));
  }

  private decodeText(start: number, end: number): string {
    return hasHighByte(this.buf, start, end) ? utf8Of(this.buf, start, end) : latin1Of(this.buf, start, end);
  }
}

/** The first LF in buf at or after `from`, or -1; found in `whole` (buf decoded) when there is one. */
function lineFeed(buf: Buffer, whole: string | null, from: number): number {
  return whole !== null ? whole.indexOf('\n', from) : indexOfByte(buf, Byte.LF, from);
}

/** buf[0, end) as a string when it is pure ASCII (then byte offsets are character offsets), else null. */
function asciiText(buf: Buffer, end: number): string | null {
  const text = utf8Of(buf, 0, end);
  // Any byte >= 0x80 either shortens the UTF-8 decoding or becomes U+FFFD.
  return text.length === end && text.indexOf('\uFFFD') < 0 ? text : null;
}

function unquoted(value: string | null): string | null {
  return value !== null && value.charCodeAt(0) === 0x22 ? unquoteText(value) : value;
}

/** One cutter for every message (scanSip is synchronous). */
const cut = new FieldCutter();

const BODY_OTHER = 0;
const BODY_SDP = 1;
const BODY_MULTIPART = 2;

/** The last Content-Type seen with a body, and what kind of body it announces (most messages repeat one). */
let lastContentType = '';
let lastBodyKind = BODY_OTHER;

function bodyKindOf(contentType: string): number {
  const mediaType = mediaTypeOf(contentType);
  if (mediaType === 'application/sdp') return BODY_SDP;
  return mediaType.startsWith('multipart/') ? BODY_MULTIPART : BODY_OTHER;
}

/**
 * The SDP summary of a body: the body itself when it is application/sdp, else its first SDP
 * part. `text` is the whole message decoded when it is pure ASCII, else null.
 */
function sdpOfBody(buf: Buffer, start: number, end: number, contentType: string, text: string | null): SdpSummary | null {
  if (contentType !== lastContentType) {
    lastBodyKind = bodyKindOf(contentType);
    lastContentType = contentType;
  }
  if (lastBodyKind === BODY_SDP) return text !== null ? summarizeAsciiSdp(buf, text, 0, start, end) : summarizeSdpBody(buf, start, end);
  if (lastBodyKind !== BODY_MULTIPART) return null;
  for (const part of bodyParts(buf, start, end, contentType)) {
    if (part.contentType !== null && mediaTypeOf(part.contentType) === 'application/sdp') {
      return summarizeSdpBody(part.body, 0, part.body.length);
    }
  }
  return null;
}

/**
 * Hot path: one pass over the header block, extracting exactly the SipHead fields. Never
 * throws; sets head.malformed with the reason(s) for a bad start line, a missing Call-ID, a
 * missing or bad CSeq, missing or bad From / To / Via, a bad Content-Length, a missing
 * Content-Length on a stream, a truncated body and a missing end of headers. For datagrams an
 * absent Content-Length means the rest of the datagram is the body (RFC 3261 §18.3);
 * bodyLength is the number of body bytes really present.
 */
export function scanSip(bytes: Buffer, options: { datagram: boolean }): SipHead {
  return scanSipInto(new ScannedHead(), bytes, options.datagram);
}

/**
 * scanSip into `head`, a fresh ScannedHead (or an object of a class that extends it): its
 * SipHead fields hold their initial values.
 */
export function scanSipInto<H extends SipHead>(head: H, bytes: Buffer, datagram: boolean): H {
  const buf = bytes;
  const length = buf.length;
  nextScan();
  let malformed: string | null = null;
  // The message decoded at once: its fields are cut from it, and lines are found in it, a
  // search in a string costing less than one in a Buffer (no call into Node).
  const whole = asciiText(buf, length);

  // RFC 3261 §7.5: CRLFs before the start line are ignored.
  let pos = 0;
  while (pos < length && (buf[pos] === Byte.CR || buf[pos] === Byte.LF)) pos++;
  let lf = lineFeed(buf, whole, pos);
  let lineEnd = lf < 0 ? length : lf;
  if (lineEnd > pos && buf[lineEnd - 1] === Byte.CR) lineEnd--;
  if (!scanStartLine(buf, pos, lineEnd, head)) malformed = 'bad start line';
  pos = lf < 0 ? length : lf + 1;

  let headerEnd = false;
  let bodyStart = length;
  let viaSeen = false;
  let cseqSeen = false;
  let fromSeen = false;
  let toSeen = false;
  let contactSeen = false;
  let contentLengthSeen = false;
  let badContentLength = false;
  let authSeen = false;
  let folded = false;
  while (pos < length) {
    const first = buf[pos];
    if (first === Byte.LF || (first === Byte.CR && pos + 1 < length && buf[pos + 1] === Byte.LF)) {
      headerEnd = true;
      bodyStart = first === Byte.LF ? pos + 1 : pos + 2;
      break;
    }
    // The header name, walked through the trie of known names up to the colon (SP and HT may
    // come before it). A line that is no header the scanner reads, or no header at all (no
    // colon, or a line that continues one of those), is skipped whole.
    let state = NAME_START;
    let colon = pos;
    while (colon < length) {
      const nameClass = NAME_CLASS[buf[colon]];
      if (nameClass === 0) break;
      state = NAME_STEP[state * NAME_CLASSES + nameClass];
      if (state === 0) break;
      colon++;
    }
    let id = NAME_ID[state];
    if (id !== 0) {
      while (colon < length && (buf[colon] === Byte.SP || buf[colon] === Byte.HT)) colon++;
      if (colon === length || buf[colon] !== Byte.COLON) id = 0;
    }
    if (id === 0) {
      lf = lineFeed(buf, whole, pos);
      pos = lf < 0 ? length : lf + 1;
      continue;
    }
    lf = lineFeed(buf, whole, colon);
    // RFC 3261 §7.3.1: a line that starts with SP or HT continues the header above it.
    while (lf >= 0 && lf + 1 < length && (buf[lf + 1] === Byte.SP || buf[lf + 1] === Byte.HT)) {
      folded = true;
      lf = lineFeed(buf, whole, lf + 1);
    }
    const next = lf < 0 ? length : lf + 1;
    lineEnd = lf < 0 ? length : lf;
    const vs = skipWhitespace(buf, colon + 1, lineEnd);
    const ve = trimEnd(buf, vs, lineEnd);
    switch (id) {
      case H_VIA:
        head.viaCount += countValues(buf, vs, ve);
        if (!viaSeen) {
          viaSeen = true;
          if (scanVia(buf, vs, ve)) {
            record(S_SENT_BY, via.sentByStart, via.sentByEnd);
            if (findParam(buf, via.paramsStart, ve, BRANCH)) record(S_BRANCH, foundValue.start, foundValue.end);
          } else malformed = appendReason(malformed, 'bad Via');
        }
        break;
      case H_CALL_ID:
        if (!seen(S_CALL_ID) && ve > vs) record(S_CALL_ID, vs, ve);
        break;
      case H_CSEQ:
        if (!cseqSeen) {
          cseqSeen = true;
          if (!scanCSeq(buf, vs, ve, head)) malformed = appendReason(malformed, 'bad CSeq');
        }
        break;
      case H_FROM:
        if (!fromSeen) {
          fromSeen = true;
          if (!scanParty(buf, vs, ve, S_FROM_URI, S_FROM_DISPLAY, S_FROM_TAG)) malformed = appendReason(malformed, 'bad From');
        }
        break;
      case H_TO:
        if (!toSeen) {
          toSeen = true;
          if (!scanParty(buf, vs, ve, S_TO_URI, S_TO_DISPLAY, S_TO_TAG)) malformed = appendReason(malformed, 'bad To');
        }
        break;
      case H_CONTACT:
        if (!contactSeen) {
          contactSeen = true;
          if (scanNameAddr(buf, vs, ve)) {
            record(S_CONTACT_URI, nameAddr.uriStart, nameAddr.uriEnd);
            if (findParam(buf, nameAddr.paramsStart, ve, EXPIRES_PARAM)) head.contactExpires = parseWholeInt(buf, foundValue.start, foundValue.end);
          }
        }
        break;
      case H_CONTENT_TYPE:
        if (!seen(S_CONTENT_TYPE)) record(S_CONTENT_TYPE, vs, ve);
        break;
      case H_CONTENT_LENGTH:
        if (!contentLengthSeen) {
          contentLengthSeen = true;
          head.contentLength = parseWholeInt(buf, vs, ve);
          badContentLength = head.contentLength === null;
        }
        break;
      case H_EXPIRES:
        if (head.expires === null) head.expires = parseWholeInt(buf, vs, ve);
        break;
      case H_MIN_EXPIRES:
        if (head.minExpires === null) head.minExpires = parseWholeInt(buf, vs, ve);
        break;
      case H_RETRY_AFTER:
        // delta-seconds [ comment ] *( SEMI retry-param ): the number only (§20.33)
        if (head.retryAfter === null) head.retryAfter = parseLeadingInt(buf, vs, ve);
        break;
      case H_RSEQ:
        if (head.rseq === null) head.rseq = parseWholeInt(buf, vs, ve);
        break;
      case H_RACK:
        if (!seen(S_RACK)) record(S_RACK, vs, ve);
        break;
      case H_SESSION_EXPIRES:
        // delta-seconds *( SEMI se-params ) (RFC 4028 §4)
        if (head.sessionExpires === null) head.sessionExpires = parseLeadingInt(buf, vs, ve);
        break;
      case H_SUBSCRIPTION_STATE:
        if (!seen(S_SUBSCRIPTION_STATE)) record(S_SUBSCRIPTION_STATE, vs, ve);
        break;
      case H_EVENT:
        if (!seen(S_EVENT)) record(S_EVENT, vs, ve);
        break;
      case H_CREDENTIALS:
      case H_CHALLENGE:
        if (id === H_CREDENTIALS) head.hasCredentials = true;
        // realm and nonce: of the challenge in a response, of the credentials in a request
        if (!authSeen && (id === H_CREDENTIALS) === head.isRequest) {
          authSeen = true;
          if (findAuthParam(buf, vs, ve, REALM)) record(S_AUTH_REALM, foundValue.start, foundValue.end);
          if (findAuthParam(buf, vs, ve, NONCE)) record(S_AUTH_NONCE, foundValue.start, foundValue.end);
        }
        break;
      case H_USER_AGENT:
        if (!seen(S_USER_AGENT)) record(S_USER_AGENT, vs, ve);
        break;
      case H_SERVER:
        if (!seen(S_SERVER)) record(S_SERVER, vs, ve);
        break;
      case H_X_CALL_ID:
        if (!seen(S_X_CALL_ID) && ve > vs) record(S_X_CALL_ID, vs, ve);
        break;
      case H_P_CHARGING_VECTOR:
        // icid-value *(SEMI charge-params) (RFC 7315 §4.6): the value starts with a parameter.
        if (!seen(S_ICID) && findParam(buf, vs, ve, ICID_VALUE, true)) record(S_ICID, foundValue.start, foundValue.end);
        break;
    }
    pos = next;
  }

  if (!seen(S_CALL_ID)) malformed = appendReason(malformed, 'missing Call-ID');
  if (!cseqSeen) malformed = appendReason(malformed, 'missing CSeq');
  if (!fromSeen) malformed = appendReason(malformed, 'missing From');
  if (!toSeen) malformed = appendReason(malformed, 'missing To');
  if (!viaSeen) malformed = appendReason(malformed, 'missing Via');
  if (badContentLength) malformed = appendReason(malformed, 'bad Content-Length');

  if (!headerEnd) {
    malformed = appendReason(malformed, 'no header end');
  } else {
    const available = length - bodyStart;
    const declared = head.contentLength;
    if (declared !== null) {
      head.bodyLength = Math.min(declared, available);
      if (available < declared) malformed = appendReason(malformed, `truncated body: ${available} of ${declared} bytes`);
    } else if (datagram) {
      head.bodyLength = available;
    } else if (!badContentLength) {
      // RFC 3261 §20.14: on a stream transport the header MUST be present.
      malformed = appendReason(malformed, 'missing Content-Length on a stream transport');
    }
  }
  head.malformed = malformed;

  const bodyEnd = bodyStart + head.bodyLength;
  cut.reset(buf, pos, whole, folded);
  head.method = cut.common(S_METHOD, METHODS);
  head.requestUri = cut.text(S_REQUEST_URI);
  head.reason = head.status === null ? null : cut.common(S_REASON, REASON_PHRASES[head.status]);
  head.callId = cut.token(S_CALL_ID);
  if (seen(S_CSEQ)) {
    head.cseq = cut.token(S_CSEQ);
    head.cseqMethod = cut.common(S_CSEQ_METHOD, METHODS);
  } else if (seen(S_CSEQ_METHOD)) {
    head.cseqMethod = cut.common(S_CSEQ_METHOD, METHODS);
    head.cseq = head.cseqSeq + ' ' + head.cseqMethod;
  }
  head.branch = cut.token(S_BRANCH);
  head.sentBy = compactSentBy(cut.token(S_SENT_BY));
  head.fromUri = cut.text(S_FROM_URI);
  head.fromDisplay = cut.quotable(S_FROM_DISPLAY);
  head.fromTag = cut.token(S_FROM_TAG);
  head.toUri = cut.text(S_TO_URI);
  head.toDisplay = cut.quotable(S_TO_DISPLAY);
  head.toTag = cut.token(S_TO_TAG);
  head.contactUri = cut.text(S_CONTACT_URI);
  head.contentType = cut.common(S_CONTENT_TYPE, CONTENT_TYPES);
  head.rack = cut.text(S_RACK);
  head.subscriptionState = cut.text(S_SUBSCRIPTION_STATE);
  head.event = cut.text(S_EVENT);
  head.authRealm = cut.quotable(S_AUTH_REALM);
  head.authNonce = cut.quotable(S_AUTH_NONCE);
  head.userAgent = head.isRequest ? (cut.text(S_USER_AGENT) ?? cut.text(S_SERVER)) : (cut.text(S_SERVER) ?? cut.text(S_USER_AGENT));
  head.xCallId = cut.token(S_X_CALL_ID);
  head.icid = cut.quotable(S_ICID);
  if (head.bodyLength > 0 && head.contentType !== null) {
    head.sdp = sdpOfBody(buf, bodyStart, bodyEnd, head.contentType, whole);
  }
  cut.release();
  return head;
}
