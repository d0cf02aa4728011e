// The little the text report shows of a message: when, what ("INVITE", "200 OK") and between
// which endpoints. Kept for every message of a capture in typed columns, 27 bytes each, so
// that the CLI can name any message an anomaly points at without keeping the messages.
import { describeResponse } from '../knowledge/index.js';
import type { SipMessage } from '../model.js';
import { formatTimestamp } from '../timefmt.js';
import { detached, NONE, StringTable } from '../analysis/message-log.js';

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
      return m === undefined || m.id !== id ? null : { time: m.time, what: whatText(m.isRequest, m.status, m.isRequest ? m.method : m.reason), src: m.src, dst: m.dst };
    },
  };
}

/** "INVITE", "200 OK": a request's method, a response's status and reason (its code's usual one when it has none). */
function whatText(isRequest: boolean, status: number | null, label: string | null): string {
  if (isRequest) return label ?? '?';
  return status === null ? '?' : `${status} ${label ?? describeResponse(status).reason}`;
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

/** The number of `s` in `table`, numbering it (a copy of its own) while the table has room; UNKNOWN for null or no room. */
function numberIn(table: StringTable, s: string | null): number {
  if (s === null) return UNKNOWN;
  const known = table.find(s);
  if (known !== NONE) return known;
  return table.size < TABLE_LIMIT ? table.number(detached(s)) : UNKNOWN;
}

function valueIn(table: StringTable, n: number): string | null {
  return n === UNKNOWN ? null : table.value(n);
}

/** The digest of every message added, in id order from 0. */
export class MessageDigests implements ReportedMessages {
  private readonly pages: Page[] = [];
  private readonly whats = new StringTable();
  private readonly endpoints = new StringTable();
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
    page.what[i] = numberIn(this.whats, m.isRequest ? m.method : m.reason);
    page.src[i] = numberIn(this.endpoints, m.src);
    page.dst[i] = numberIn(this.endpoints, m.dst);
  }

  digest(id: number): MessageDigest | null {
    if (!Number.isInteger(id) || id < 0 || id >= this.count) return null;
    const page = this.pages[id >>> PAGE_BITS]!;
    const i = id & PAGE_MASK;
    const status = page.status[i]!;
    const label = valueIn(this.whats, page.what[i]!);
    return {
      time: formatTimestamp({ sec: page.seconds[i]!, nsec: page.nanoseconds[i]!, digits: page.digits[i]! }),
      what: status === REQUEST ? whatText(true, null, label) : whatText(false, status === NO_STATUS ? null : status, label),
      src: valueIn(this.endpoints, page.src[i]!) ?? '?',
      dst: valueIn(this.endpoints, page.dst[i]!) ?? '?',
    };
  }
}
