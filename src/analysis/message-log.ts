// The few facts about each message that outlive add(): when it was seen, what it was
// (method or status), between which endpoints, with which To tag. Stored column by column
// in typed arrays and interned strings, so a capture of millions of messages costs tens of
// bytes per message and no SipMessage object is retained.
import type { SipTransport, Timestamp } from '../model.js';
import { formatTimestamp } from '../timefmt.js';

/**
 * Shares one string object between equal values that many messages repeat (endpoints, methods,
 * sent-by, tags): each message's copy is then garbage. Values unique to one transaction or call
 * (branches, Call-IDs) are not interned: that would only add a map entry each.
 */
export class Interner {
  private readonly strings = new Map<string, string>();

  intern(s: string): string;
  intern(s: string | null): string | null;
  intern(s: string | null): string | null {
    if (s === null) return null;
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }
}

const INITIAL_CAPACITY = 1024;

/** `larger` holding a copy of `column` (typed arrays do not grow in place). */
function grown<T extends Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array>(column: T, larger: T): T {
  larger.set(column);
  return larger;
}

/** Per-message columns, indexed by message id. */
export class MessageLog {
  /** 0 for a request, else the status code. */
  private statuses = new Uint16Array(INITIAL_CAPACITY);
  private sizes = new Uint32Array(INITIAL_CAPACITY);
  /** The capture's own timestamp, whole seconds / nanoseconds / digits: exact output times, and deltas without epoch-sized fractions. */
  private epochSeconds = new Float64Array(INITIAL_CAPACITY);
  private nanoseconds = new Int32Array(INITIAL_CAPACITY);
  private digits = new Uint8Array(INITIAL_CAPACITY);
  private readonly methods: (string | null)[] = [];
  private readonly sources: string[] = [];
  private readonly destinations: string[] = [];
  private readonly toTags: (string | null)[] = [];
  private readonly transports: SipTransport[] = [];
  /** The time base: the first message's whole second. */
  private baseSec: number | null = null;
  /** Latest time seen (messages may be out of order by a little: TCP reassembly completes late). */
  latest = 0;

  /** Seconds of a timestamp on this log's time base. */
  secondsOf(ts: Timestamp): number {
    if (this.baseSec === null) this.baseSec = ts.sec;
    return ts.sec - this.baseSec + ts.nsec / 1e9;
  }

  add(id: number, ts: Timestamp, status: number, method: string | null, src: string, dst: string, toTag: string | null, transport: SipTransport, size: number): void {
    this.ensure(id + 1);
    const seconds = this.secondsOf(ts);
    if (seconds > this.latest) this.latest = seconds;
    this.statuses[id] = status;
    this.sizes[id] = size;
    this.epochSeconds[id] = ts.sec;
    this.nanoseconds[id] = ts.nsec;
    this.digits[id] = ts.digits;
    this.methods[id] = method;
    this.sources[id] = src;
    this.destinations[id] = dst;
    this.toTags[id] = toTag;
    this.transports[id] = transport;
  }

  private ensure(capacity: number): void {
    if (capacity <= this.statuses.length) return;
    let next = this.statuses.length * 2;
    while (next < capacity) next *= 2;
    this.statuses = grown(this.statuses, new Uint16Array(next));
    this.sizes = grown(this.sizes, new Uint32Array(next));
    this.epochSeconds = grown(this.epochSeconds, new Float64Array(next));
    this.nanoseconds = grown(this.nanoseconds, new Int32Array(next));
    this.digits = grown(this.digits, new Uint8Array(next));
  }

  /** Seconds since the time base. */
  time(id: number): number {
    return this.epochSeconds[id]! - this.baseSec! + this.nanoseconds[id]! / 1e9;
  }

  timestamp(id: number): Timestamp {
    return { sec: this.epochSeconds[id]!, nsec: this.nanoseconds[id]!, digits: this.digits[id]! };
  }

  /** The message's time as the model writes it: epoch seconds with the capture's digits. */
  timeText(id: number): string {
    return formatTimestamp(this.timestamp(id));
  }

  /** Status code of a response, 0 for a request. */
  status(id: number): number {
    return this.statuses[id]!;
  }

  method(id: number): string | null {
    return this.methods[id] ?? null;
  }

  src(id: number): string {
    return this.sources[id]!;
  }

  dst(id: number): string {
    return this.destinations[id]!;
  }

  toTag(id: number): string | null {
    return this.toTags[id] ?? null;
  }

  transport(id: number): SipTransport {
    return this.transports[id]!;
  }

  size(id: number): number {
    return this.sizes[id]!;
  }

  /** "INVITE" or "200": what the message is, in one word. */
  label(id: number): string {
    const status = this.statuses[id]!;
    return status === 0 ? (this.methods[id] ?? 'request') : String(status);
  }
}
