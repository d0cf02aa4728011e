// The little the text report shows of a message: when, what ("INVITE", "200 OK") and between
// which endpoints. Kept for every message of a capture in typed columns, some 20 bytes each, so
// that the CLI can name any message an anomaly points at without keeping the messages.
import { describeResponse } from '../knowledge/index.js';
import type { SipMessage } from '../model.js';
import { formatTimestamp } from '../timefmt.js';
import { detached } from '../analysis/message-log.js';

/** A message as the report names it. */
export interface MessageDigest {
  /** Epoch seconds with the capture's digits, as SipMessage.time. */
  time: string;
  /** The method of a request, the status and reason of a response. */
  what: string;
  src: string;
  dst: string;
}

/** The messages the report can name, by id. */
export interface ReportedMessages {
  readonly count: number;
  /** null for an id it does not know. */
  digest(id: number): MessageDigest | null;
}

/** The messages themselves (a test's, a caller's that keeps them). */
export function listedMessages(messages: readonly SipMessage[]): ReportedMessages {
  return {
    count: messages.length,
    digest(id) {
      const m = messages[id];
      return m === undefined || m.id !== id ? null : { time: m.time, what: whatOf(m), src: m.src, dst: m.dst };
    },
  };
}

function whatOf(m: SipMessage): string {
  if (m.isRequest) return m.method ?? '?';
  return m.status === null ? '?' : `${m.status} ${m.reason ?? describeResponse(m.status).reason}`;
}

const PAGE_BITS = 16;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;
/** Distinct labels and endpoints kept at most: beyond, a message's own is replaced by a stand-in. */
const TABLE_LIMIT = 1 << 16;
const UNKNOWN = -1;
/** The status column of a request, and of a response without a readable status. */
const REQUEST = 0;
const NO_STATUS = 1;

class Page {
  readonly seconds = new Float64Array(PAGE_SIZE);
  readonly nanoseconds = new Int32Array(PAGE_SIZE);
  readonly digits = new Uint8Array(PAGE_SIZE);
  readonly status = new Uint16Array(PAGE_SIZE);
  readonly what = new Int32Array(PAGE_SIZE);
  readonly src = new Int32Array(PAGE_SIZE);
  readonly dst = new Int32Array(PAGE_SIZE);
}

/** Strings numbered in order of first appearance, up to TABLE_LIMIT of them. */
class BoundedTable {
  private readonly numbers = new Map<string, number>();
  readonly values: string[] = [];

  number(s: string | null): number {
    if (s === null) return UNKNOWN;
    let n = this.numbers.get(s);
    if (n === undefined) {
      if (this.values.length >= TABLE_LIMIT) return UNKNOWN;
      n = this.values.length;
      const own = detached(s);
      this.values.push(own);
      this.numbers.set(own, n);
    }
    return n;
  }

  value(n: number): string | null {
    return n === UNKNOWN ? null : this.values[n]!;
  }
}

/** The digest of every message added, in id order from 0. */
export class MessageDigests implements ReportedMessages {
  private readonly pages: Page[] = [];
  private readonly whats = new BoundedTable();
  private readonly endpoints = new BoundedTable();
  count = 0;

  add(m: SipMessage): void {
    if (m.id !== this.count) throw new Error(`message ${m.id} added as number ${this.count}`);
    if ((this.count & PAGE_MASK) === 0) this.pages.push(new Page());
    const page = this.pages[this.pages.length - 1]!;
    const i = this.count++ & PAGE_MASK;
    page.seconds[i] = m.ts.sec;
    page.nanoseconds[i] = m.ts.nsec;
    page.digits[i] = m.ts.digits;
    page.status[i] = m.isRequest ? REQUEST : (m.status ?? NO_STATUS);
    page.what[i] = this.whats.number(m.isRequest ? m.method : m.reason);
    page.src[i] = this.endpoints.number(m.src);
    page.dst[i] = this.endpoints.number(m.dst);
  }

  digest(id: number): MessageDigest | null {
    if (!Number.isInteger(id) || id < 0 || id >= this.count) return null;
    const page = this.pages[id >>> PAGE_BITS]!;
    const i = id & PAGE_MASK;
    const status = page.status[i]!;
    const label = this.whats.value(page.what[i]!);
    const what = status === REQUEST ? (label ?? '?') : status === NO_STATUS ? '?' : `${status} ${label ?? describeResponse(status).reason}`;
    return {
      time: formatTimestamp({ sec: page.seconds[i]!, nsec: page.nanoseconds[i]!, digits: page.digits[i]! }),
      what,
      src: this.endpoints.value(page.src[i]!) ?? '?',
      dst: this.endpoints.value(page.dst[i]!) ?? '?',
    };
  }
}
