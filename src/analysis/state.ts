// The analyzer's working state while messages stream in: a small object per call, and its
// transactions and dialogs as rows of typed columns (numbers in an Int32Array, the few strings
// beside). Rows are reused once their call is settled, so the tables grow with the calls
// alive at once, and hold no object per transaction or dialog for the garbage collector to
// trace or copy. Message ids stand for messages; their facts are in the MessageLog, where the
// messages of a call and of a transaction are lists threaded through (first, last, next).
// Tags are numbers within their call, methods numbers of the log's table (methods.ts).
import type { SdpMedia } from '../model.js';
import { detached, NONE } from './message-log.js';
import { INVITE } from './methods.js';

/** The magic cookie that marks an RFC 3261 branch (§8.1.1.7); without it, RFC 2543 matching applies. */
export const BRANCH_COOKIE = 'z9hG4bK';

/** Transactions, dialogs or tags of one call beyond which lookups go through maps instead of a scan. */
const SCAN_LIMIT = 8;

/**
 * Rows per page of a table: a table grows by whole pages and never replaces one, so no field
 * of a table is ever reassigned (V8 compiles a field never reassigned as a constant, and undoes
 * the code that relied on it when it is).
 */
const PAGE_SHIFT = 10;
const PAGE_ROWS = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_ROWS - 1;

/** A session refresh (RFC 4028) that came after the running interval had run out. */
export interface LateRefresh {
  /** The 2xx that set the interval. */
  setBy: number;
  interval: number;
  /** The 2xx of the refresh that came too late. */
  refresh: number;
}

/** Facts only some transactions have (registrations, credentials, challenges, retry hints, CANCEL). */
export interface TxnDetails {
  /** Authorization / Proxy-Authorization on the request. */
  hadCredentials: boolean;
  /** nonce used by the request's credentials. */
  credentialsNonce: string | null;
  /** REGISTER: requested expiry (Contact expires, else Expires) and the Contact. */
  requestExpires: number | null;
  contact: string | null;
  /** Retry-After of the final response (seconds). */
  finalRetryAfter: number | null;
  /** Min-Expires of a 423. */
  finalMinExpires: number | null;
  /** REGISTER: expiry the final response grants (Contact expires, else Expires). */
  finalExpires: number | null;
  /** realm / nonce of a 401 / 407 challenge. */
  challengeRealm: string | null;
  challengeNonce: string | null;
  /** For a CANCEL: the INVITE transaction it cancels, else NONE. */
  cancels: number;
}

function emptyDetails(): TxnDetails {
  return {
    hadCredentials: false,
    credentialsNonce: null,
    requestExpires: null,
    contact: null,
    finalRetryAfter: null,
    finalMinExpires: null,
    finalExpires: null,
    challengeRealm: null,
    challengeNonce: null,
    cancels: NONE,
  };
}

/** A number column value for "none": NaN, read back as null. */
function orNull(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

/** Slots of released rows, reused before new ones are made; new slots come a page at a time. */
class Slots {
  private readonly free: number[] = [];
  /** Slots made so far. */
  made = 0;

  /** A free slot, or NONE when every slot made is in use. */
  reuse(): number {
    return this.free.length === 0 ? NONE : this.free.pop()!;
  }

  release(slot: number): void {
    this.free.push(slot);
  }
}

function intPage(fields: number): Int32Array {
  return new Int32Array(PAGE_ROWS * fields).fill(NONE);
}

function floatPage(): Float64Array {
  return new Float64Array(PAGE_ROWS).fill(NaN);
}

// The Int32 fields of a transaction's row. Message ids, transaction and dialog slots and tag
// numbers are NONE when absent; the final status 0.
const T_ID = 0;
const T_METHOD = 1;
const T_FIRST_REQUEST = 2;
const T_LAST_REQUEST = 3;
/** The end of its list of messages: request copies, responses and ACKs in id order, from the first request along MessageLog.nextInTransaction. */
const T_LAST_MESSAGE = 4;
const T_REQUEST_COUNT = 5;
const T_FIRST_RESPONSE = 6;
/** The first copy of the latest distinct response; earlier ones chain through MessageLog.previousFirstCopy. */
const T_LAST_FIRST_COPY = 7;
const T_FIRST_ACK = 8;
const T_RESPONSE_RETRANSMISSIONS = 9;
/** First 180 or 183: where post-dial delay ends. */
const T_FIRST_ALERTING = 10;
const T_FIRST_SUCCESS = 11;
const T_FINAL = 12;
const T_FINAL_STATUS = 13;
/** Tag number within the call, NONE without a From tag. */
const T_FROM_TAG = 14;
/** The next transaction of the call. */
const T_NEXT = 15;
/** The dialog the transaction runs in, or the (first, then confirmed) one it created. */
const T_DIALOG = 16;
const T_FLAGS = 17;
const T_FIELDS = 18;

/** The request carried a To tag (RFC 3261 §12.2: sent inside a dialog). */
const IN_DIALOG = 1;
/** Sent over a transport that does not lose messages (no retransmission timers). */
const RELIABLE = 2;
const ACK_FOR_2XX = 4;
const ACK_FOR_NON_2XX = 8;

/**
 * Transactions by slot. A slot is the transaction's row while its call is alive; its id (the
 * model's Transaction.id, in order of creation) is a field of the row.
 */
export class TxnTable {
  private readonly intPages: Int32Array[] = [];
  /** The CSeq number, NaN when the request had none. */
  private readonly cseqSeqPages: Float64Array[] = [];
  private readonly branches: (string | null)[] = [];
  private readonly sentBys: (string | null)[] = [];
  /** The CSeq as written (single-spaced): shared with every transaction of the same text when it is "<cseqSeq> <method>". */
  private readonly cseqs: string[] = [];
  private readonly finalReasons: (string | null)[] = [];
  private readonly details: (TxnDetails | null)[] = [];
  private readonly slots = new Slots();
  /** Transactions created so far: the next one's id. */
  count = 0;

  create(method: number, cseq: string, cseqSeq: number | null, branch: string | null, sentBy: string | null, fromTag: number, inDialog: boolean, reliable: boolean, firstRequest: number): number {
    const t = this.slot();
    const ints = this.intPages[t >>> PAGE_SHIFT]!;
    const at = (t & PAGE_MASK) * T_FIELDS;
    ints.fill(NONE, at, at + T_FIELDS);
    ints[at + T_ID] = this.count++;
    ints[at + T_METHOD] = method;
    ints[at + T_FIRST_REQUEST] = firstRequest;
    ints[at + T_LAST_REQUEST] = firstRequest;
    ints[at + T_LAST_MESSAGE] = firstRequest;
    ints[at + T_REQUEST_COUNT] = 1;
    ints[at + T_RESPONSE_RETRANSMISSIONS] = 0;
    ints[at + T_FINAL_STATUS] = 0;
    ints[at + T_FROM_TAG] = fromTag;
    ints[at + T_FLAGS] = (inDialog ? IN_DIALOG : 0) | (reliable ? RELIABLE : 0);
    this.cseqSeqPages[t >>> PAGE_SHIFT]![t & PAGE_MASK] = cseqSeq ?? NaN;
    this.branches[t] = branch;
    this.sentBys[t] = sentBy;
    this.cseqs[t] = cseq;
    this.finalReasons[t] = null;
    this.details[t] = null;
    return t;
  }

  private slot(): number {
    const reused = this.slots.reuse();
    if (reused !== NONE) return reused;
    const t = this.slots.made++;
    if ((t & PAGE_MASK) === 0) {
      this.intPages.push(intPage(T_FIELDS));
      this.cseqSeqPages.push(floatPage());
    }
    this.branches.push(null);
    this.sentBys.push(null);
    this.cseqs.push('');
    this.finalReasons.push(null);
    this.details.push(null);
    return t;
  }

  /** Frees the slot of a transaction whose call is settled (its strings go with it). */
  release(t: number): void {
    this.branches[t] = null;
    this.sentBys[t] = null;
    this.cseqs[t] = '';
    this.finalReasons[t] = null;
    this.details[t] = null;
    this.slots.release(t);
  }

  private get(t: number, field: number): number {
    return this.intPages[t >>> PAGE_SHIFT]![(t & PAGE_MASK) * T_FIELDS + field]!;
  }

  private set(t: number, field: number, value: number): void {
    this.intPages[t >>> PAGE_SHIFT]![(t & PAGE_MASK) * T_FIELDS + field] = value;
  }

  id(t: number): number {
    return this.get(t, T_ID);
  }

  method(t: number): number {
    return this.get(t, T_METHOD);
  }

  cseq(t: number): string {
    return this.cseqs[t]!;
  }

  cseqSeq(t: number): number | null {
    return orNull(this.cseqSeqPages[t >>> PAGE_SHIFT]![t & PAGE_MASK]!);
  }

  branch(t: number): string | null {
    return this.branches[t]!;
  }

  sentBy(t: number): string | null {
    return this.sentBys[t]!;
  }

  fromTag(t: number): number {
    return this.get(t, T_FROM_TAG);
  }

  inDialog(t: number): boolean {
    return (this.get(t, T_FLAGS) & IN_DIALOG) !== 0;
  }

  reliable(t: number): boolean {
    return (this.get(t, T_FLAGS) & RELIABLE) !== 0;
  }

  firstRequest(t: number): number {
    return this.get(t, T_FIRST_REQUEST);
  }

  lastRequest(t: number): number {
    return this.get(t, T_LAST_REQUEST);
  }

  requestCount(t: number): number {
    return this.get(t, T_REQUEST_COUNT);
  }

  /** Another copy of the request (a retransmission). */
  addRequestCopy(t: number, id: number): void {
    this.set(t, T_REQUEST_COUNT, this.get(t, T_REQUEST_COUNT) + 1);
    this.set(t, T_LAST_REQUEST, id);
  }

  lastMessage(t: number): number {
    return this.get(t, T_LAST_MESSAGE);
  }

  setLastMessage(t: number, id: number): void {
    this.set(t, T_LAST_MESSAGE, id);
  }

  firstResponse(t: number): number {
    return this.get(t, T_FIRST_RESPONSE);
  }

  setFirstResponse(t: number, id: number): void {
    this.set(t, T_FIRST_RESPONSE, id);
  }

  lastFirstCopy(t: number): number {
    return this.get(t, T_LAST_FIRST_COPY);
  }

  setLastFirstCopy(t: number, id: number): void {
    this.set(t, T_LAST_FIRST_COPY, id);
  }

  responseRetransmissions(t: number): number {
    return this.get(t, T_RESPONSE_RETRANSMISSIONS);
  }

  addResponseRetransmission(t: number): void {
    this.set(t, T_RESPONSE_RETRANSMISSIONS, this.get(t, T_RESPONSE_RETRANSMISSIONS) + 1);
  }

  /** Request copies beyond the first and response retransmissions. */
  retransmissions(t: number): number {
    return this.get(t, T_REQUEST_COUNT) - 1 + this.get(t, T_RESPONSE_RETRANSMISSIONS);
  }

  firstAck(t: number): number {
    return this.get(t, T_FIRST_ACK);
  }

  hasAck(t: number): boolean {
    return this.get(t, T_FIRST_ACK) !== NONE;
  }

  /** An ACK for a 2xx (end-to-end, listed with the INVITE) or for a failure (inside the transaction). */
  addAck(t: number, id: number, forTwoXx: boolean): void {
    if (this.get(t, T_FIRST_ACK) === NONE) this.set(t, T_FIRST_ACK, id);
    const flags = this.get(t, T_FLAGS) & ~(ACK_FOR_2XX | ACK_FOR_NON_2XX);
    this.set(t, T_FLAGS, flags | (forTwoXx ? ACK_FOR_2XX : ACK_FOR_NON_2XX));
  }

  ackFor(t: number): '2xx' | 'non-2xx' | null {
    const flags = this.get(t, T_FLAGS);
    return (flags & ACK_FOR_2XX) !== 0 ? '2xx' : (flags & ACK_FOR_NON_2XX) !== 0 ? 'non-2xx' : null;
  }

  firstAlerting(t: number): number {
    return this.get(t, T_FIRST_ALERTING);
  }

  setFirstAlerting(t: number, id: number): void {
    this.set(t, T_FIRST_ALERTING, id);
  }

  firstSuccess(t: number): number {
    return this.get(t, T_FIRST_SUCCESS);
  }

  setFirstSuccess(t: number, id: number): void {
    this.set(t, T_FIRST_SUCCESS, id);
  }

  final(t: number): number {
    return this.get(t, T_FINAL);
  }

  /** The final status, 0 without a final response. */
  finalStatus(t: number): number {
    return this.get(t, T_FINAL_STATUS);
  }

  finalReason(t: number): string | null {
    return this.finalReasons[t]!;
  }

  setFinal(t: number, id: number, status: number, reason: string | null): void {
    this.set(t, T_FINAL, id);
    this.set(t, T_FINAL_STATUS, status);
    this.finalReasons[t] = reason;
  }

  next(t: number): number {
    return this.get(t, T_NEXT);
  }

  setNext(t: number, next: number): void {
    this.set(t, T_NEXT, next);
  }

  dialog(t: number): number {
    return this.get(t, T_DIALOG);
  }

  setDialog(t: number, d: number): void {
    this.set(t, T_DIALOG, d);
  }

  /** The rare facts, or null when the transaction has none. */
  detailsOf(t: number): TxnDetails | null {
    return this.details[t]!;
  }

  /** The details, created on first use. */
  detailsForWriting(t: number): TxnDetails {
    return (this.details[t] ??= emptyDetails());
  }

  hadCredentials(t: number): boolean {
    return this.details[t]?.hadCredentials ?? false;
  }

  /** For a CANCEL: the INVITE transaction it cancels, else NONE. */
  cancels(t: number): number {
    return this.details[t]?.cancels ?? NONE;
  }
}

// The Int32 fields of a dialog's row (tag numbers within the call, message ids, NONE when absent).
const D_ID = 0;
const D_FROM_TAG = 1;
const D_TO_TAG = 2;
const D_METHOD = 3;
const D_CREATED_BY = 4;
/** The transaction outside a dialog that created it (its response, or a NOTIFY racing the SUBSCRIBE's 2xx). */
const D_CREATOR = 5;
const D_CONFIRMED_BY = 6;
const D_TERMINATED_BY = 7;
/** 1 once ended by a BYE, a final failure, a terminating NOTIFY, a 481/408, or RFC 3261 §13.2.2.4's 64*T1 after another fork's 2xx. */
const D_ENDED = 8;
/** The message that (re)started the session timer. */
const D_REFRESHED_BY = 9;
/** The next dialog of the call. */
const D_NEXT = 10;
const D_FIELDS = 11;

/** Dialogs by slot, as TxnTable holds transactions. */
export class DialogTable {
  private readonly intPages: Int32Array[] = [];
  /** RFC 4028 Session-Expires of the last refresh (the 2xx that set it); NaN when no session timer runs. */
  private readonly sessionExpiryPages: Float64Array[] = [];
  private readonly lateRefreshLists: (LateRefresh[] | null)[] = [];
  private readonly slots = new Slots();
  count = 0;

  create(fromTag: number, toTag: number, method: number, createdBy: number, creator: number): number {
    const d = this.slot();
    const ints = this.intPages[d >>> PAGE_SHIFT]!;
    const at = (d & PAGE_MASK) * D_FIELDS;
    ints.fill(NONE, at, at + D_FIELDS);
    ints[at + D_ID] = this.count++;
    ints[at + D_FROM_TAG] = fromTag;
    ints[at + D_TO_TAG] = toTag;
    ints[at + D_METHOD] = method;
    ints[at + D_CREATED_BY] = createdBy;
    ints[at + D_CREATOR] = creator;
    ints[at + D_ENDED] = 0;
    this.sessionExpiryPages[d >>> PAGE_SHIFT]![d & PAGE_MASK] = NaN;
    this.lateRefreshLists[d] = null;
    return d;
  }

  private slot(): number {
    const reused = this.slots.reuse();
    if (reused !== NONE) return reused;
    const d = this.slots.made++;
    if ((d & PAGE_MASK) === 0) {
      this.intPages.push(intPage(D_FIELDS));
      this.sessionExpiryPages.push(floatPage());
    }
    this.lateRefreshLists.push(null);
    return d;
  }

  release(d: number): void {
    this.lateRefreshLists[d] = null;
    this.slots.release(d);
  }

  private get(d: number, field: number): number {
    return this.intPages[d >>> PAGE_SHIFT]![(d & PAGE_MASK) * D_FIELDS + field]!;
  }

  private set(d: number, field: number, value: number): void {
    this.intPages[d >>> PAGE_SHIFT]![(d & PAGE_MASK) * D_FIELDS + field] = value;
  }

  id(d: number): number {
    return this.get(d, D_ID);
  }

  fromTag(d: number): number {
    return this.get(d, D_FROM_TAG);
  }

  toTag(d: number): number {
    return this.get(d, D_TO_TAG);
  }

  method(d: number): number {
    return this.get(d, D_METHOD);
  }

  createdBy(d: number): number {
    return this.get(d, D_CREATED_BY);
  }

  creator(d: number): number {
    return this.get(d, D_CREATOR);
  }

  confirmedBy(d: number): number {
    return this.get(d, D_CONFIRMED_BY);
  }

  setConfirmedBy(d: number, id: number): void {
    this.set(d, D_CONFIRMED_BY, id);
  }

  terminatedBy(d: number): number {
    return this.get(d, D_TERMINATED_BY);
  }

  setTerminatedBy(d: number, id: number): void {
    this.set(d, D_TERMINATED_BY, id);
  }

  ended(d: number): boolean {
    return this.get(d, D_ENDED) !== 0;
  }

  end(d: number): void {
    this.set(d, D_ENDED, 1);
  }

  next(d: number): number {
    return this.get(d, D_NEXT);
  }

  setNext(d: number, next: number): void {
    this.set(d, D_NEXT, next);
  }

  refreshedBy(d: number): number {
    return this.get(d, D_REFRESHED_BY);
  }

  /** Session-Expires of the last refresh, null when no session timer runs. */
  sessionExpires(d: number): number | null {
    return orNull(this.sessionExpiryPages[d >>> PAGE_SHIFT]![d & PAGE_MASK]!);
  }

  /** RFC 4028: a 2xx (re)started the session timer with this interval (null turns it off). */
  refresh(d: number, by: number, sessionExpires: number | null): void {
    this.set(d, D_REFRESHED_BY, by);
    this.sessionExpiryPages[d >>> PAGE_SHIFT]![d & PAGE_MASK] = sessionExpires ?? NaN;
  }

  lateRefreshes(d: number): readonly LateRefresh[] | null {
    return this.lateRefreshLists[d]!;
  }

  addLateRefresh(d: number, late: LateRefresh): void {
    (this.lateRefreshLists[d] ??= []).push(late);
  }
}

/** Maps that replace the scans of a call once it has many transactions, dialogs or tags. */
class CallIndex {
  /** Transaction slots by top Via branch (RFC 3261 ones) or RFC 2543 key, oldest first. */
  readonly txnsByKey = new Map<string, number[]>();
  readonly invites: number[] = [];
  /** Dialog slots by To tag number, oldest first. */
  readonly dialogsByToTag = new Map<number, number[]>();
  readonly tagNumbers = new Map<string, number>();
}

/** The lookup key of a transaction: its branch, or for RFC 2543 requests (no cookie) the fields §17.2.3 compares. */
export function txnKey(branch: string | null, cseqSeq: number | null, fromTag: number, sentBy: string | null, method: number): string {
  return branch !== null && branch.startsWith(BRANCH_COOKIE) ? branch : `\u0000${cseqSeq}\u0000${fromTag}\u0000${sentBy}\u0000${method}`;
}

/** What few calls have: leg-correlation headers, hold, problem messages, lookup maps. */
export class CallExtras {
  xCallIds: Set<string> | null = null;
  icids: Set<string> | null = null;
  /** The first re-INVITE / UPDATE that put the session on hold. */
  holdOffer = NONE;
  /** UDP messages above the size limit of RFC 3261 §18.1.1. */
  oversized: number[] | null = null;
  /** Messages that are not valid SIP, and why. */
  malformed: { id: number; reason: string }[] | null = null;
  lookup: CallIndex | null = null;
}

export class CallState {
  /** From / To tags seen in the call, numbered in order of first appearance. */
  tags: string[] = [];
  lastMessage: number;
  /** The call's transactions and dialogs: lists threaded through their tables (next), by slot. */
  firstTxn = NONE;
  lastTxn = NONE;
  txnCount = 0;
  firstDialog = NONE;
  lastDialog = NONE;
  dialogCount = 0;
  /** The request that opened the call (its From / To make caller and callee), or NONE. */
  openingRequest = NONE;
  /** Its method number, NONE before it. */
  openingMethod = NONE;
  fromUri: string | null = null;
  fromDisplay: string | null = null;
  /** Tag numbers of the opening request. */
  fromTag = NONE;
  toTag = NONE;
  toUri: string | null = null;
  toDisplay: string | null = null;
  /** Latest SDP media per sender (o= line without its version, else source address), in order of first offer. */
  mediaSenders: string[] | null = null;
  mediaLatest: (readonly SdpMedia[])[] | null = null;
  /** First SDP offer of the call, for guessing B2BUA legs. */
  firstOfferCodecs: readonly string[] | null = null;
  extras: CallExtras | null = null;

  constructor(
    readonly index: number,
    readonly callId: string,
    readonly firstMessage: number,
  ) {
    this.lastMessage = firstMessage;
  }

  /** The extras, created on first use. */
  more(): CallExtras {
    return (this.extras ??= new CallExtras());
  }

  get xCallIds(): Set<string> | null {
    return this.extras?.xCallIds ?? null;
  }

  get icids(): Set<string> | null {
    return this.extras?.icids ?? null;
  }

  get onHold(): boolean {
    return (this.extras?.holdOffer ?? NONE) !== NONE;
  }

  get oversized(): number[] | null {
    return this.extras?.oversized ?? null;
  }

  get malformed(): { id: number; reason: string }[] | null {
    return this.extras?.malformed ?? null;
  }

  private get lookup(): CallIndex | null {
    return this.extras?.lookup ?? null;
  }

  tagName(n: number): string | null {
    return n === NONE ? null : this.tags[n]!;
  }

  /** The number of a tag within this call (NONE for null); numbers a new one. */
  tagNumber(tag: string | null, txns: TxnTable, dialogs: DialogTable): number {
    if (tag === null) return NONE;
    const known = this.knownTag(tag);
    if (known !== NONE) return known;
    const n = this.tags.length;
    // the call keeps it: a copy of its own, not a cut of the message
    const own = detached(tag);
    // exact-size while small (most calls have two or three tags), amortised growth beyond
    if (n < SCAN_LIMIT) this.tags = this.tags.concat(own);
    else this.tags.push(own);
    this.lookup?.tagNumbers.set(own, n);
    if (n === SCAN_LIMIT) this.buildIndex(txns, dialogs);
    return n;
  }

  /** The number of a tag already seen in this call, else NONE (also for null). */
  knownTag(tag: string | null): number {
    if (tag === null) return NONE;
    const lookup = this.lookup;
    if (lookup !== null) return lookup.tagNumbers.get(tag) ?? NONE;
    const tags = this.tags;
    for (let i = 0; i < tags.length; i++) if (tags[i] === tag) return i;
    return NONE;
  }

  addTxn(t: number, key: string, txns: TxnTable, dialogs: DialogTable): void {
    if (this.lastTxn === NONE) this.firstTxn = t;
    else txns.setNext(this.lastTxn, t);
    this.lastTxn = t;
    this.txnCount++;
    const lookup = this.lookup;
    if (lookup !== null) indexTxn(lookup, t, key, txns);
    else if (this.txnCount > SCAN_LIMIT) this.buildIndex(txns, dialogs);
  }

  addDialog(d: number, txns: TxnTable, dialogs: DialogTable): void {
    if (this.lastDialog === NONE) this.firstDialog = d;
    else dialogs.setNext(this.lastDialog, d);
    this.lastDialog = d;
    this.dialogCount++;
    const lookup = this.lookup;
    if (lookup !== null) indexDialog(lookup, d, dialogs);
    else if (this.dialogCount > SCAN_LIMIT) this.buildIndex(txns, dialogs);
  }

  /**
   * The newest transaction with this lookup key (txnKey), method and CSeq number, and with this
   * sent-by unless `sentBy` is undefined, else NONE: a scan while the call is small.
   */
  newestTxn(txns: TxnTable, key: string, method: number, cseqSeq: number | null, sentBy: string | null | undefined): number {
    const lookup = this.lookup;
    if (lookup !== null) {
      const same = lookup.txnsByKey.get(key);
      if (same === undefined) return NONE;
      for (let i = same.length - 1; i >= 0; i--) if (matchesTxn(txns, same[i]!, method, cseqSeq, sentBy)) return same[i]!;
      return NONE;
    }
    let found = NONE;
    for (let t = this.firstTxn; t !== NONE; t = txns.next(t)) {
      if (matchesTxn(txns, t, method, cseqSeq, sentBy) && keyOf(txns, t) === key) found = t;
    }
    return found;
  }

  /**
   * The call's INVITE transactions, oldest first: kept once the call is indexed (more than
   * SCAN_LIMIT transactions), else gathered from its few into `scratch` (emptied first), which
   * is returned.
   */
  inviteTxns(txns: TxnTable, scratch: number[]): readonly number[] {
    const indexed = this.lookup?.invites;
    if (indexed !== undefined) return indexed;
    scratch.length = 0;
    for (let t = this.firstTxn; t !== NONE; t = txns.next(t)) if (txns.method(t) === INVITE) scratch.push(t);
    return scratch;
  }

  /** The dialog with exactly these From and To tag numbers, else NONE. */
  dialogWithTags(dialogs: DialogTable, fromTag: number, toTag: number): number {
    const lookup = this.lookup;
    if (lookup !== null) {
      const same = lookup.dialogsByToTag.get(toTag);
      if (same !== undefined) for (const d of same) if (dialogs.fromTag(d) === fromTag) return d;
      return NONE;
    }
    for (let d = this.firstDialog; d !== NONE; d = dialogs.next(d)) if (dialogs.toTag(d) === toTag && dialogs.fromTag(d) === fromTag) return d;
    return NONE;
  }

  private buildIndex(txns: TxnTable, dialogs: DialogTable): void {
    if (this.lookup !== null) return;
    const index = new CallIndex();
    this.tags.forEach((tag, n) => index.tagNumbers.set(tag, n));
    for (let t = this.firstTxn; t !== NONE; t = txns.next(t)) indexTxn(index, t, keyOf(txns, t), txns);
    for (let d = this.firstDialog; d !== NONE; d = dialogs.next(d)) indexDialog(index, d, dialogs);
    this.more().lookup = index;
  }
}

function keyOf(txns: TxnTable, t: number): string {
  return txnKey(txns.branch(t), txns.cseqSeq(t), txns.fromTag(t), txns.sentBy(t), txns.method(t));
}

function matchesTxn(txns: TxnTable, t: number, method: number, cseqSeq: number | null, sentBy: string | null | undefined): boolean {
  return txns.method(t) === method && txns.cseqSeq(t) === cseqSeq && (sentBy === undefined || txns.sentBy(t) === sentBy);
}

function indexTxn(index: CallIndex, t: number, key: string, txns: TxnTable): void {
  const same = index.txnsByKey.get(key);
  if (same === undefined) index.txnsByKey.set(key, [t]);
  else same.push(t);
  if (txns.method(t) === INVITE) index.invites.push(t);
}

function indexDialog(index: CallIndex, d: number, dialogs: DialogTable): void {
  const toTag = dialogs.toTag(d);
  const same = index.dialogsByToTag.get(toTag);
  if (same === undefined) index.dialogsByToTag.set(toTag, [d]);
  else same.push(d);
}
