// Anonymisation for shared views: every identifying value is replaced by a pseudonym derived
// with a keyed HMAC, so within one share the same value always gets the same pseudonym (a
// ladder still shows which messages come from the same phone) while without the key nothing
// leads back to the original. What counts as identifying: SIP user parts and phone numbers,
// display names, IPv4 and IPv6 addresses (SIP text, SDP, capture endpoints), digest
// credentials (username, response, nonce, cnonce, opaque, rspauth) and the host part of
// Call-IDs. Domains, methods, codecs, timings and tags stay: they are what one shares a
// trace for.
//
// Text is handled in two passes: structural rules that know where values sit (URIs, name-addr
// display names, Call-ID and Authorization headers, SDP o= lines, IP address syntax), then a
// word pass that replaces any identity learnt up front or seen structurally wherever else it
// turns up (a user name in an explanation, a message body or a custom header). A replaced span is protected by a
// placeholder so no later rule rewrites a pseudonym.
import { createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type {
  Anomaly, Call, CallParty, Dialog, Registration, SdpMedia, SdpSummary, SipHead, SipMessage, Transaction,
} from '../model.js';
import { parseUri } from '../sip/index.js';
import { detached } from '../analysis/message-log.js';

/** Placeholder delimiters and digits: private-use characters, which decoded SIP text never keeps (see protectInput). */
const MARK_OPEN = '\uE000';
const MARK_CLOSE = '\uE001';
const MARK_DIGIT_BASE = 0xe100;
const PLACEHOLDER = /\uE000([\uE100-\uE10F]+)\uE001/g;
const RESERVED_CHAR = /[\uE000-\uE10F]/;
const RESERVED_CHARS = /[\uE000-\uE10F]/g;

/** Headers whose value is a Call-ID, or starts with one (RFC 3891 Replaces, RFC 3911 Join, RFC 4538 Target-Dialog). */
const CALL_ID_HEADERS = new Set(['call-id', 'i', 'in-reply-to', 'replaces', 'join', 'target-dialog', 'x-call-id', 'x-cid', 'x-orig-call-id']);
/** Headers carrying digest challenges or credentials (RFC 3261 §20.7, §20.27, §20.28, §20.44; RFC 2617 Authentication-Info). */
const AUTH_HEADERS = new Set(['authorization', 'proxy-authorization', 'www-authenticate', 'proxy-authenticate', 'authentication-info', 'proxy-authentication-info']);
/** Digest parameters that identify a user or could replay a credential. */
const SECRET_AUTH_PARAMS = /\b(username|response|nonce|cnonce|opaque|nextnonce|rspauth)(\s*=\s*)("(?:[^"\\]|\\.)*"|[^\s,"]+)/gi;

/** sip: / sips: URI with a user part: the user (and a password, RFC 3261 §19.1.1) before '@'. */
const SIP_URI_USER = /\b(sips?):([^@\s<>"',;:?\uE000]+)(?::([^@\s<>"',\uE000]*))?@/gi;
/** tel: URI (RFC 3966): the number up to its parameters. */
const TEL_URI = /\b(tel):([^;>\s,"\uE000]+)/gi;
/** A quoted display name in front of a bracketed URI (name-addr, RFC 3261 §25.1). */
const QUOTED_DISPLAY = /"((?:[^"\\\r\n]|\\.)*)"([ \t]*<)/g;
/** An unquoted display name (tokens) in front of a bracketed URI, after the header's colon or a comma. */
const TOKEN_DISPLAY = /(^[^:\r\n]*:[ \t]*|,[ \t]*)([^\s"<>,;:\uE000][^"<>,;:\r\n\uE000]*?)([ \t]*<)/g;
/** Candidates checked with isIPv6: at least two colons, hex groups, maybe an IPv4 tail. */
const IPV6_CANDIDATE = /(?<![\w:.])((?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?)(?![\w:.])/g;
const IPV4_CANDIDATE = /(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?!\w|\.\d)/g;
/** SDP origin line (RFC 8866 §5.2): its username. */
const SDP_ORIGIN = /^(o=)(\S+)/gm;
/** Words looked up (case-insensitively) in the table of values seen so far; "-" separates words ("SIPp-Monitor"). */
const WORD = /[\p{L}\p{N}_+]+/gu;
/** Call-ID-shaped tokens looked up among the Call-IDs seen so far. */
const CALL_ID_TOKEN = /[^\s"'<>,;()=\uE000\uE001]+/g;
const PHONE_NUMBER = /^\+?[0-9][0-9\-.() ]*$/;

/** Whether a value is worth replacing wherever it appears as a word (short or numeric words would hit CSeq numbers, ports, ...). */
function isDistinctiveWord(word: string): boolean {
  return /\p{L}/u.test(word) ? word.length >= 3 : /^\+?\d{7,}$/.test(word);
}

/** The canonical (RFC 5952) text of an IPv6 address, so that ::1 and 0:0::1 get the same pseudonym. */
function canonicalIpv6(address: string): string {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
}

/** Collects replacements behind placeholders and puts them back at the end. */
class Protected {
  private readonly values: string[] = [];

  wrap(value: string): string {
    const index = this.values.push(value) - 1;
    let digits = '';
    for (const c of index.toString(16)) digits += String.fromCharCode(MARK_DIGIT_BASE + parseInt(c, 16));
    return MARK_OPEN + digits + MARK_CLOSE;
  }

  restore(text: string): string {
    return text.replace(PLACEHOLDER, (_, digits: string) => {
      let hex = '';
      for (const c of digits) hex += (c.charCodeAt(0) - MARK_DIGIT_BASE).toString(16);
      return this.values[parseInt(hex, 16)] ?? '';
    });
  }
}

/** URIs whose user IdentityCollector remembers before starting over. */
const URI_MEMO_LIMIT = 1 << 14;

/** The user parts and display names of a capture: what the word pass must know from the start. */
export interface Identities {
  users: string[];
  displays: string[];
}

/**
 * Gathers the identities of a capture's messages while it is decoded (From, To, Contact and
 * Request-URI users, From and To display names), up to a bound per kind.
 */
export class IdentityCollector {
  private readonly users = new Set<string>();
  private readonly displays = new Set<string>();
  /** The user of each URI seen lately: a call repeats its From and To in every message, and parsing a URI costs more than a lookup. */
  private userOfUri = new Map<string, string | null>();

  constructor(private readonly maxPerKind = 100_000) {}

  add(m: Pick<SipHead, 'fromUri' | 'toUri' | 'contactUri' | 'requestUri' | 'fromDisplay' | 'toDisplay'>): void {
    this.addUser(m.fromUri);
    this.addUser(m.toUri);
    this.addUser(m.contactUri);
    this.addUser(m.requestUri);
    this.addDisplay(m.fromDisplay);
    this.addDisplay(m.toDisplay);
  }

  private addUser(uri: string | null): void {
    if (uri === null) return;
    let user = this.userOfUri.get(uri);
    if (user === undefined) {
      if (this.userOfUri.size >= URI_MEMO_LIMIT) this.userOfUri = new Map();
      // Kept beyond the message: copies, not cuts of the message's text (detached).
      const parsed = parseUri(uri)?.user ?? null;
      user = parsed === null ? null : detached(parsed);
      this.userOfUri.set(detached(uri), user);
    }
    if (user !== null && this.users.size < this.maxPerKind) this.users.add(user);
  }

  private addDisplay(display: string | null): void {
    if (display !== null && this.displays.size < this.maxPerKind && !this.displays.has(display)) this.displays.add(detached(display));
  }

  result(): Identities {
    return { users: [...this.users], displays: [...this.displays] };
  }
}

export class Anonymizer {
  private readonly memo = new Map<string, string>();
  /** Distinctive original words (users, display names and their words), lower case, to their pseudonyms. */
  private readonly words = new Map<string, string>();
  /** Multi-word display names, replaced as a whole in free text. */
  private readonly phrases = new Map<string, string>();
  private readonly callIds = new Map<string, string>();

  /** `secret`: the per-share key (at least 16 random bytes). */
  constructor(private readonly secret: Buffer) {}

  /**
   * Gives every identity its pseudonym up front, so that the word pass replaces it wherever
   * it turns up, whichever message is anonymised first.
   */
  learn(identities: Identities): void {
    for (const user of identities.users) this.user(user);
    for (const display of identities.displays) this.displayName(display);
  }

  private digest(kind: string, value: string): Buffer {
    return createHmac('sha256', this.secret).update(kind).update('\0').update(value).digest();
  }

  private memoized(kind: string, value: string, make: () => string): string {
    const key = `${kind}\0${value}`;
    let out = this.memo.get(key);
    if (out === undefined) {
      out = make();
      this.memo.set(key, out);
    }
    return out;
  }

  /** `length` pseudo-random characters from `alphabet`, derived from the value. */
  private characters(kind: string, value: string, length: number, alphabet: string): string {
    let out = '';
    for (let round = 0; out.length < length; round++) {
      for (const byte of this.digest(`${kind}#${round}`, value)) {
        out += alphabet[byte % alphabet.length];
        if (out.length === length) break;
      }
    }
    return out;
  }

  /** The first pseudonym given to a word (in any letter case) stays its pseudonym in free text. */
  private rememberWord(original: string, pseudonym: string): void {
    const key = original.toLowerCase();
    if (original === pseudonym || this.words.has(key)) return;
    if (isDistinctiveWord(original) && !/\s/.test(original)) this.words.set(key, pseudonym);
  }

  /** An IPv4 address to one in 10.0.0.0/8, an IPv6 address to one in fd00::/8 (unique local); anything else unchanged. */
  ip(address: string): string {
    if (isIPv4(address)) {
      return this.memoized('ip', address, () => {
        const d = this.digest('ipv4', address);
        return `10.${d[0]}.${d[1]}.${1 + (d[2]! % 254)}`;
      });
    }
    if (isIPv6(address)) {
      const canonical = canonicalIpv6(address);
      return this.memoized('ip', canonical, () => {
        const d = this.digest('ipv6', canonical);
        const groups = [(0xfd00 | d[0]!).toString(16)];
        // Odd groups are never 0, so the text is canonical without any "::".
        for (let i = 1; i < 8; i++) groups.push(((d[2 * i]! << 8) | d[2 * i + 1]! | 1).toString(16));
        return groups.join(':');
      });
    }
    return address;
  }

  /** "ip:port" / "[ipv6]:port" with the address replaced. */
  endpoint(endpoint: string): string {
    if (endpoint.startsWith('[')) {
      const close = endpoint.indexOf(']');
      if (close > 0) return `[${this.ip(endpoint.slice(1, close))}]${endpoint.slice(close + 1)}`;
    }
    const colon = endpoint.lastIndexOf(':');
    if (colon > 0 && endpoint.indexOf(':') === colon) return this.ip(endpoint.slice(0, colon)) + endpoint.slice(colon);
    return this.ip(endpoint);
  }

  /** A user part: a phone number becomes another of the same shape, anything else "user-<hex>". */
  user(user: string): string {
    return this.memoized('user', user, () => {
      const out = PHONE_NUMBER.test(user) && /\d/.test(user)
        ? this.phoneNumber(user)
        : `user-${this.characters('user', user, 8, '0123456789abcdef')}`;
      this.rememberWord(user, out);
      return out;
    });
  }

  private phoneNumber(number: string): string {
    const digits = this.characters('phone', number.replace(/\D/g, ''), number.replace(/\D/g, '').length, '0123456789');
    let i = 0;
    return number.replace(/\d/g, () => digits[i++]!);
  }

  /** A display name: "Person <hex>" (or a phone number of the same shape when it is one). */
  displayName(name: string): string {
    return this.memoized('display', name, () => {
      if (PHONE_NUMBER.test(name) && /\d/.test(name)) return this.user(name);
      const out = `Person ${this.characters('display', name, 6, '0123456789abcdef')}`;
      const trimmed = name.trim();
      if (/\s/.test(trimmed)) {
        this.phrases.set(trimmed, out);
        for (const word of trimmed.split(/\s+/)) this.rememberWord(word, this.user(word));
      } else {
        this.rememberWord(trimmed, out);
      }
      return out;
    });
  }

  /** A digest value (nonce, response, ...): hex of the same length. */
  credential(value: string): string {
    return this.memoized('credential', value, () => this.characters('credential', value, Math.max(8, value.length), '0123456789abcdef'));
  }

  /** A host name (Call-ID host part): an IP address as ip(), a name as "host-<hex>.invalid" (RFC 6761). */
  host(host: string): string {
    const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    if (isIPv4(bare) || isIPv6(bare)) return host === bare ? this.ip(bare) : `[${this.ip(bare)}]`;
    return this.memoized('host', host.toLowerCase(), () => `host-${this.characters('host', host.toLowerCase(), 8, '0123456789abcdef')}.invalid`);
  }

  /** A Call-ID: its host part replaced, IP addresses in its local part too. */
  callId(callId: string): string {
    return this.memoized('call-id', callId, () => {
      const at = callId.indexOf('@');
      const local = at < 0 ? callId : callId.slice(0, at);
      const p = new Protected();
      const out = p.restore(this.ipAddresses(local, p)) + (at < 0 ? '' : `@${this.host(callId.slice(at + 1))}`);
      if (out !== callId) this.callIds.set(callId, out);
      return out;
    });
  }

  /** A SIP or tel URI, or any short text holding some: user parts and addresses replaced. */
  uri(uri: string): string {
    return this.text(uri);
  }

  /** Free text (explanations, reasons, labels): every rule, and every value seen so far. */
  text(text: string): string {
    const p = new Protected();
    return p.restore(this.generic(protectInput(text), p));
  }

  /**
   * The text of a SIP message (start line, headers, body) with every identifying value
   * replaced; Content-Length follows the body (counted in bytes of `encoding`).
   */
  sipText(text: string, encoding: 'utf8' | 'latin1' = 'utf8'): string {
    const p = new Protected();
    const input = protectInput(text);
    const split = headerEnd(input);
    const head = input.slice(0, split);
    const body = input.slice(split);
    const headOut = splitHeaderFields(head).map((field) => this.generic(this.headerField(field, p), p)).join('');
    const bodyOut = this.generic(body.replace(SDP_ORIGIN, (_, o: string, user: string) => o + p.wrap(this.user(user))), p);
    return fixContentLength(p.restore(headOut), Buffer.byteLength(body, encoding), p.restore(bodyOut), encoding);
  }

  /** SIP message bytes anonymised, in the same text encoding (UTF-8 when valid, else latin1). */
  sipMessage(raw: Buffer, encoding: 'utf8' | 'latin1'): Buffer {
    return Buffer.from(this.sipText(raw.toString(encoding), encoding), encoding);
  }

  /** Rules that need the header's name: Call-ID values and digest parameters. */
  private headerField(field: string, p: Protected): string {
    const colon = field.indexOf(':');
    if (colon <= 0) return field;
    const name = field.slice(0, colon).trim().toLowerCase();
    if (CALL_ID_HEADERS.has(name)) {
      return field.slice(0, colon + 1) + field.slice(colon + 1).replace(/[^\s,;]+/, (id) => p.wrap(this.callId(id)));
    }
    if (AUTH_HEADERS.has(name)) {
      return field.replace(SECRET_AUTH_PARAMS, (_, param: string, eq: string, value: string) => {
        const quoted = value.startsWith('"');
        const bare = quoted ? value.slice(1, -1) : value;
        const replaced = param.toLowerCase() === 'username' ? this.user(bare) : this.credential(bare);
        return param + eq + p.wrap(quoted ? `"${replaced}"` : replaced);
      });
    }
    return field;
  }

  /** The rules that apply to any text, in order; each protects what it wrote. */
  private generic(text: string, p: Protected): string {
    let out = text.replace(CALL_ID_TOKEN, (token) => {
      const known = this.callIds.get(token);
      return known === undefined ? token : p.wrap(known);
    });
    out = out.replace(SIP_URI_USER, (_, scheme: string, user: string, password: string | undefined) =>
      `${scheme}:${p.wrap(this.user(user))}${password === undefined ? '' : `:${p.wrap(this.credential(password))}`}@`);
    out = out.replace(TEL_URI, (_, scheme: string, number: string) => `${scheme}:${p.wrap(this.user(number))}`);
    out = out.replace(QUOTED_DISPLAY, (_, name: string, bracket: string) => `"${p.wrap(this.displayName(name))}"${bracket}`);
    out = out.replace(TOKEN_DISPLAY, (_, before: string, name: string, bracket: string) => before + p.wrap(this.displayName(name.trim())) + bracket);
    out = this.ipAddresses(out, p);
    for (const [phrase, pseudonym] of this.phrases) {
      if (out.includes(phrase)) out = out.split(phrase).join(p.wrap(pseudonym));
    }
    return out.replace(WORD, (word) => {
      const known = this.words.get(word.toLowerCase());
      return known === undefined ? word : p.wrap(known);
    });
  }

  private ipAddresses(text: string, p: Protected): string {
    return text
      .replace(IPV6_CANDIDATE, (m) => (isIPv6(m) && /[0-9a-f]/i.test(m) ? p.wrap(this.ip(m)) : m))
      .replace(IPV4_CANDIDATE, (m) => (isIPv4(m) ? p.wrap(this.ip(m)) : m));
  }

  private optional<T>(value: T | null, f: (v: T) => T): T | null {
    return value === null ? null : f(value);
  }

  /** The scanned fields of a message, consistent with sipText of its bytes. */
  message<M extends SipMessage>(m: M): M {
    return {
      ...m,
      requestUri: this.optional(m.requestUri, (v) => this.uri(v)),
      reason: this.optional(m.reason, (v) => this.text(v)),
      callId: this.optional(m.callId, (v) => this.callId(v)),
      sentBy: this.optional(m.sentBy, (v) => this.text(v)),
      fromUri: this.optional(m.fromUri, (v) => this.uri(v)),
      fromDisplay: this.optional(m.fromDisplay, (v) => this.displayName(v)),
      toUri: this.optional(m.toUri, (v) => this.uri(v)),
      toDisplay: this.optional(m.toDisplay, (v) => this.displayName(v)),
      contactUri: this.optional(m.contactUri, (v) => this.uri(v)),
      authNonce: this.optional(m.authNonce, (v) => this.credential(v)),
      xCallId: this.optional(m.xCallId, (v) => this.callId(v)),
      icid: this.optional(m.icid, (v) => this.text(v)),
      userAgent: this.optional(m.userAgent, (v) => this.text(v)),
      sdp: this.optional(m.sdp, (v) => this.sdp(v)),
      malformed: this.optional(m.malformed, (v) => this.text(v)),
      src: this.endpoint(m.src),
      dst: this.endpoint(m.dst),
    };
  }

  sdp(s: SdpSummary): SdpSummary {
    return {
      origin: this.optional(s.origin, (o) => {
        const space = o.indexOf(' ');
        return space < 0 ? this.user(o) : this.user(o.slice(0, space)) + this.text(o.slice(space));
      }),
      address: this.optional(s.address, (a) => this.ip(a)),
      media: s.media.map((m) => this.media(m)),
    };
  }

  private media(m: SdpMedia): SdpMedia {
    return { ...m, address: this.optional(m.address, (a) => this.ip(a)) };
  }

  party(p: CallParty): CallParty {
    return {
      uri: this.optional(p.uri, (v) => this.uri(v)),
      user: this.optional(p.user, (v) => this.user(v)),
      display: this.optional(p.display, (v) => this.displayName(v)),
    };
  }

  /** A call or a call row (any object with the Call fields that identify someone). */
  call<C extends Omit<Call, 'messages' | 'transactions' | 'dialogs'>>(c: C): C {
    return {
      ...c,
      callId: this.callId(c.callId),
      firstRequest: this.text(c.firstRequest),
      caller: this.party(c.caller),
      callee: this.party(c.callee),
      finalReason: this.optional(c.finalReason, (v) => this.text(v)),
      endpoints: c.endpoints.map((e) => this.endpoint(e)),
      media: c.media.map((m) => this.media(m)),
      legs: c.legs.map((l) => ({ ...l, callId: this.callId(l.callId), reason: this.text(l.reason) })),
    };
  }

  transaction(t: Transaction): Transaction {
    return { ...t, callId: this.callId(t.callId), sentBy: this.optional(t.sentBy, (v) => this.text(v)) };
  }

  dialog(d: Dialog): Dialog {
    return { ...d, callId: this.callId(d.callId) };
  }

  registration(r: Registration): Registration {
    return {
      ...r,
      callId: this.callId(r.callId),
      aor: this.optional(r.aor, (v) => this.uri(v)),
      contact: this.optional(r.contact, (v) => this.uri(v)),
      explanation: this.optional(r.explanation, (v) => this.text(v)),
      attempts: r.attempts.map((a) => ({
        ...a,
        nonce: this.optional(a.nonce, (v) => this.credential(v)),
        explanation: this.optional(a.explanation, (v) => this.text(v)),
      })),
    };
  }

  anomaly(a: Anomaly): Anomaly {
    return {
      ...a,
      callId: this.optional(a.callId, (v) => this.callId(v)),
      title: this.text(a.title),
      explanation: this.text(a.explanation),
    };
  }
}

/** Input text with any placeholder-range character replaced (U+FFFD), so no input can forge a placeholder. */
function protectInput(text: string): string {
  return RESERVED_CHAR.test(text) ? text.replace(RESERVED_CHARS, '\uFFFD') : text;
}

/** Offset just past the empty line that ends the header section (or the text's length). */
function headerEnd(text: string): number {
  const crlf = text.indexOf('\r\n\r\n');
  const lf = text.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  return lf >= 0 ? lf + 2 : text.length;
}

/** Header fields (a line with its folded continuation lines), line breaks kept. */
function splitHeaderFields(head: string): string[] {
  const lines = head.split(/(?<=\n)/);
  const fields: string[] = [];
  for (const line of lines) {
    if (fields.length > 0 && (line.startsWith(' ') || line.startsWith('\t'))) fields[fields.length - 1] += line;
    else fields.push(line);
  }
  return fields;
}

/** The message with Content-Length (or l:) moved by the change of its body's length. */
function fixContentLength(head: string, oldBodyBytes: number, body: string, encoding: 'utf8' | 'latin1'): string {
  const delta = Buffer.byteLength(body, encoding) - oldBodyBytes;
  if (delta === 0) return head + body;
  const fixed = head.replace(/^((?:Content-Length|l)[ \t]*:[ \t]*)(\d+)/im, (_, prefix: string, value: string) => prefix + String(Number(value) + delta));
  return fixed + body;
}
