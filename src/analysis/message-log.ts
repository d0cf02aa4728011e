// The few facts about each message that outlive add(): when it was seen, what it was
// (method or status), between which endpoints, which earlier copy it repeats, and its place
// in the lists of its call and its transaction. Stored column by column in typed arrays, a
// page of 4096 messages at a time, so a capture of millions of messages costs tens of bytes
// per message, no object per message, and no copying as it grows. A page is dropped once
// every call with a message on it has been settled.
import type { SipTransport, Timestamp } from '../model.js';
import { formatTimestamp } from '../timefmt.js';
import { KNOWN_METHODS } from './methods.js';

/** The value of an id column that points nowhere (no transaction, no next message, no tag). */
export const NONE = -1;

/** Distinct values an Interner keeps before it starts over: sharing saves memory, it is never needed. */
const INTERNED_LIMIT = 1 << 16;

/** V8 makes a substring of this many characters or more a view of its parent (a "sliced string"), shorter ones copies. */
const SLICED_FROM = 13;

/**
 * A string of its own, for what the analysis keeps: the decoder cuts most fields out of the
 * message's header block, and a substring, or a concatenation, keeps the whole block alive.
 * Joining parts copies their characters.
 */
export function detached(s: string): string {
  return s.length < SLICED_FROM ? s : [s.slice(0, 1), s.slice(1)].join('');
}

export function detachedOrNull(s: string | null): string | null {
  return s === null ? null : detached(s);
}

/**
 * Shares one string object between equal values that many messages repeat (methods,
 * sent-by, reason phrases, URIs): each message's copy is then garbage, and the value kept is
 * detached from its message. Values unique to one transaction or call (branches, Call-IDs) are
 * not interned: that would only add a map entry each. Forgets everything once it holds
 * INTERNED_LIMIT values, so that a capture of ever new values does not grow it without bound.
 */
export class Interner {
  private readonly strings = new Map<string, string>();

  intern(s: string): string;
  intern(s: string | null): string | null;
  intern(s: string | null): string | null {
    if (s === null) return null;
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    if (this.strings.size >= INTERNED_LIMIT) this.strings.clear();
    const own = detached(s);
    this.strings.set(own, own);
    return own;
  }
}

/** Strings numbered in order of first appearance, so that a column holds a number per message. */
export class StringTable {
  private readonly numbers = new Map<string, number>();
  private readonly values: string[] = [];

  /** `known` get the first numbers, in their order. */
  constructor(known: readonly string[] = []) {
    for (const s of known) this.number(s);
  }

  /** Strings in the table. */
  get size(): number {
    return this.values.length;
  }

  /** The number of a string in the table, else NONE. */
  find(s: string): number {
    return this.numbers.get(s) ?? NONE;
  }

  number(s: string): number {
    let n = this.numbers.get(s);
    if (n === undefined) {
      n = this.values.length;
      this.values.push(s);
      this.numbers.set(s, n);
    }
    return n;
  }

  value(n: number): string {
    return this.values[n]!;
  }
}

/** Times kept by MessageLog.timeText for reuse (a power of two). */
const TIME_MEMO_SIZE = 16;

/** The character code of digit `place` (1, 10, 100 ...) of n. */
function digitCode(n: number, place: number): number {
  return 48 + (Math.floor(n / place) % 10);
}

/**
 * formatTimestamp's text, made as one flat string: formatTimestamp joins the second and its
 * fraction, and a joined string is two or three objects where this is one. Covers ten-digit
 * seconds (2001 to 2286) with 3, 6 or 9 decimals; any other timestamp is formatTimestamp's.
 */
export function epochText(sec: number, nsec: number, digits: number): string {
  if (sec < 1e9 || sec >= 1e10 || !Number.isInteger(sec) || !Number.isInteger(nsec) || nsec < 0 || nsec >= 1e9 || (digits !== 3 && digits !== 6 && digits < 9)) {
    return formatTimestamp({ sec, nsec, digits });
  }
  const s0 = digitCode(sec, 1e9), s1 = digitCode(sec, 1e8), s2 = digitCode(sec, 1e7), s3 = digitCode(sec, 1e6), s4 = digitCode(sec, 1e5);
  const s5 = digitCode(sec, 1e4), s6 = digitCode(sec, 1e3), s7 = digitCode(sec, 100), s8 = digitCode(sec, 10), s9 = digitCode(sec, 1);
  const f0 = digitCode(nsec, 1e8), f1 = digitCode(nsec, 1e7), f2 = digitCode(nsec, 1e6);
  if (digits === 3) return String.fromCharCode(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, 0x2e, f0, f1, f2);
  const f3 = digitCode(nsec, 1e5), f4 = digitCode(nsec, 1e4), f5 = digitCode(nsec, 1e3);
  if (digits === 6) return String.fromCharCode(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, 0x2e, f0, f1, f2, f3, f4, f5);
  const f6 = digitCode(nsec, 100), f7 = digitCode(nsec, 10), f8 = digitCode(nsec, 1);
  return String.fromCharCode(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, 0x2e, f0, f1, f2, f3, f4, f5, f6, f7, f8);
}

const TRANSPORTS: readonly SipTransport[] = ['UDP', 'TCP', 'SCTP', 'TLS', 'WS', 'WSS'];
const PAGE_BITS = 12;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;

function noneFilled(): Int32Array {
  return new Int32Array(PAGE_SIZE).fill(NONE);
}

/** The columns of 4096 consecutive message ids. */
class Page {
  /** 0 for a request, else the status code. */
  readonly status = new Uint16Array(PAGE_SIZE);
  readonly size = new Uint32Array(PAGE_SIZE);
  /** The capture's own timestamp, whole seconds / nanoseconds / digits: exact output times, and deltas without epoch-sized fractions. */
  readonly epochSeconds = new Float64Array(PAGE_SIZE);
  readonly nanoseconds = new Int32Array(PAGE_SIZE);
  readonly digits = new Uint8Array(PAGE_SIZE);
  /** Numbers of the log's method and endpoint tables (method NONE for a response). */
  readonly method = new Int32Array(PAGE_SIZE);
  readonly src = new Int32Array(PAGE_SIZE);
  readonly dst = new Int32Array(PAGE_SIZE);
  readonly transport = new Uint8Array(PAGE_SIZE);
  /** The To tag, numbered within the message's call (CallState.tagNumber). */
  readonly toTag = noneFilled();
  readonly retransmissionOf = noneFilled();
  /** The next message of the same call, and of the same transaction (request copies, responses and ACKs together). */
  readonly nextInCall = noneFilled();
  readonly nextInTransaction = noneFilled();
  /** Messages on this page not yet released: the page goes once it is full and this is zero. */
  live = 0;
  added = 0;
}

/** Per-message columns, indexed by message id. */
export class MessageLog {
  private readonly pages: (Page | null)[] = [];
  /** Request methods, numbered as methods.ts says. */
  private readonly methods = new StringTable(KNOWN_METHODS);
  private readonly endpoints = new StringTable();
  /** RSeq (RFC 3262) of the reliable provisional responses, by message id: few messages have one. */
  private readonly rseqs = new Map<number, number>();
  /** The time base: the first message's whole second. */
  private baseSec: number | null = null;
  /** Latest time seen (messages may be out of order by a little: TCP reassembly completes late). */
  latest = 0;
  /** One past the highest message id added. */
  length = 0;
  /** The last times written, by message id modulo TIME_MEMO_SIZE: settling a call writes the same few messages' times several times. */
  private readonly memoIds = new Int32Array(TIME_MEMO_SIZE).fill(NONE);
  private readonly memoTexts: string[] = new Array<string>(TIME_MEMO_SIZE).fill('');

  /** Seconds of a timestamp on this log's time base. */
  secondsOf(ts: Timestamp): number {
    if (this.baseSec === null) this.baseSec = ts.sec;
    return ts.sec - this.baseSec + ts.nsec / 1e9;
  }

  /** Records a message; it stays until release(id). */
  add(id: number, ts: Timestamp, status: number, method: string | null, src: string, dst: string, transport: SipTransport, size: number): void {
    const page = this.pageFor(id);
    const i = id & PAGE_MASK;
    const seconds = this.secondsOf(ts);
    if (seconds > this.latest) this.latest = seconds;
    if (id >= this.length) this.length = id + 1;
    page.status[i] = status;
    page.size[i] = size;
    page.epochSeconds[i] = ts.sec;
    page.nanoseconds[i] = ts.nsec;
    page.digits[i] = ts.digits;
    page.method[i] = method === null ? NONE : this.methods.number(method);
    page.src[i] = this.endpoints.number(src);
    page.dst[i] = this.endpoints.number(dst);
    page.transport[i] = TRANSPORTS.indexOf(transport);
    page.live++;
    page.added++;
  }

  /** The message's facts are no longer needed (its call is settled, or it has none). */
  release(id: number): void {
    if (this.rseqs.size > 0) this.rseqs.delete(id);
    this.releaseOnPage(id >>> PAGE_BITS, 1);
  }

  /** Releases a call's messages, the list from `first` along nextInCall: page by page, as a call's messages mostly share one. */
  releaseCall(first: number): void {
    let page = first >>> PAGE_BITS;
    let count = 0;
    for (let id = first; id !== NONE; id = this.nextInCall(id)) {
      if (this.rseqs.size > 0) this.rseqs.delete(id);
      if (id >>> PAGE_BITS !== page) {
        this.releaseOnPage(page, count);
        page = id >>> PAGE_BITS;
        count = 0;
      }
      count++;
    }
    this.releaseOnPage(page, count);
  }

  private releaseOnPage(n: number, count: number): void {
    const page = this.pages[n]!;
    page.live -= count;
    if (page.live === 0 && page.added === PAGE_SIZE) this.pages[n] = null;
  }

  private pageFor(id: number): Page {
    const n = id >>> PAGE_BITS;
    while (this.pages.length <= n) this.pages.push(new Page());
    const page = this.pages[n];
    if (page === null || page === undefined) throw new Error(`message ${id} added after its page was released`);
    return page;
  }

  private page(id: number): Page {
    return this.pages[id >>> PAGE_BITS]!;
  }

  /** Seconds since the time base. */
  time(id: number): number {
    const p = this.page(id);
    const i = id & PAGE_MASK;
    return p.epochSeconds[i]! - this.baseSec! + p.nanoseconds[i]! / 1e9;
  }

  timestamp(id: number): Timestamp {
    const p = this.page(id);
    const i = id & PAGE_MASK;
    return { sec: p.epochSeconds[i]!, nsec: p.nanoseconds[i]!, digits: p.digits[i]! };
  }

  /** The message's time as the model writes it: epoch seconds with the capture's digits. */
  timeText(id: number): string {
    const slot = id & (TIME_MEMO_SIZE - 1);
    if (this.memoIds[slot] === id) return this.memoTexts[slot]!;
    const p = this.page(id);
    const i = id & PAGE_MASK;
    const text = epochText(p.epochSeconds[i]!, p.nanoseconds[i]!, p.digits[i]!);
    this.memoIds[slot] = id;
    this.memoTexts[slot] = text;
    return text;
  }

  /** Status code of a response, 0 for a request. */
  status(id: number): number {
    return this.page(id).status[id & PAGE_MASK]!;
  }

  method(id: number): string | null {
    const n = this.methodNumber(id);
    return n === NONE ? null : this.methods.value(n);
  }

  /** The number of a request's method in the log's table (equal numbers, equal methods), NONE for a response. */
  methodNumber(id: number): number {
    return this.page(id).method[id & PAGE_MASK]!;
  }

  methodName(n: number): string {
    return this.methods.value(n);
  }

  /** The number of a method the log has seen (or a well-known one), else NONE. */
  methodNumberOf(method: string): number {
    return this.methods.find(method);
  }

  /** The endpoint numbers: equal numbers, equal "ip:port". */
  srcNumber(id: number): number {
    return this.page(id).src[id & PAGE_MASK]!;
  }

  dstNumber(id: number): number {
    return this.page(id).dst[id & PAGE_MASK]!;
  }

  src(id: number): string {
    return this.endpoints.value(this.srcNumber(id));
  }

  dst(id: number): string {
    return this.endpoints.value(this.dstNumber(id));
  }

  endpoint(n: number): string {
    return this.endpoints.value(n);
  }

  transport(id: number): SipTransport {
    return TRANSPORTS[this.page(id).transport[id & PAGE_MASK]!]!;
  }

  size(id: number): number {
    return this.page(id).size[id & PAGE_MASK]!;
  }

  /** "INVITE" or "200": what the message is, in one word. */
  label(id: number): string {
    const status = this.status(id);
    return status === 0 ? (this.method(id) ?? 'request') : String(status);
  }

  rseq(id: number): number | null {
    return this.rseqs.get(id) ?? null;
  }

  setRseq(id: number, rseq: number): void {
    this.rseqs.set(id, rseq);
  }

  toTag(id: number): number {
    return this.page(id).toTag[id & PAGE_MASK]!;
  }

  setToTag(id: number, tag: number): void {
    this.page(id).toTag[id & PAGE_MASK] = tag;
  }

  /** The first copy of which this message is a retransmission, else NONE. */
  retransmissionOf(id: number): number {
    const first = this.page(id).retransmissionOf[id & PAGE_MASK]!;
    return first >= 0 ? first : NONE;
  }

  setRetransmissionOf(id: number, first: number): void {
    this.page(id).retransmissionOf[id & PAGE_MASK] = first;
  }

  /**
   * For the first copy of a response: the first copy of the previous distinct response of its
   * transaction, else NONE. Kept in the retransmission column as -2 - id, which is negative like
   * the NONE of every message that is no retransmission.
   */
  previousFirstCopy(id: number): number {
    const value = this.page(id).retransmissionOf[id & PAGE_MASK]!;
    return value <= -2 ? -2 - value : NONE;
  }

  setPreviousFirstCopy(id: number, previous: number): void {
    this.page(id).retransmissionOf[id & PAGE_MASK] = previous === NONE ? NONE : -2 - previous;
  }

  nextInCall(id: number): number {
    return this.page(id).nextInCall[id & PAGE_MASK]!;
  }

  setNextInCall(id: number, next: number): void {
    this.page(id).nextInCall[id & PAGE_MASK] = next;
  }

  nextInTransaction(id: number): number {
    return this.page(id).nextInTransaction[id & PAGE_MASK]!;
  }

  setNextInTransaction(id: number, next: number): void {
    this.page(id).nextInTransaction[id & PAGE_MASK] = next;
  }
}
