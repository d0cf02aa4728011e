// The analyzer's working state: one object per call, transaction and dialog, filled while
// messages stream in and turned into the model's output types when the call is settled.
// Message ids stand for messages; their few facts are in the MessageLog. The messages of a
// call and of a transaction are lists threaded through the log (first, last, next), and
// tags are numbers within their call, so an object holds no array that grows per message.
import type { SdpMedia } from '../model.js';
import { NONE } from './message-log.js';

/** The magic cookie that marks an RFC 3261 branch (§8.1.1.7); without it, RFC 2543 matching applies. */
export const BRANCH_COOKIE = 'z9hG4bK';

/** Requests that create a dialog when answered 101-299 outside a dialog (RFC 3261 §12.1, RFC 6665 §4.1.2, RFC 3515). */
export const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);

/** Transactions, dialogs or tags of one call beyond which lookups go through maps instead of a scan. */
const SCAN_LIMIT = 8;

/** A session refresh (RFC 4028) that came after the running interval had run out. */
export interface LateRefresh {
  /** The 2xx that set the interval. */
  setBy: number;
  interval: number;
  /** The 2xx of the refresh that came too late. */
  refresh: number;
}

export class DialogState {
  confirmedBy: number | null = null;
  terminatedBy: number | null = null;
  /** Ended by a BYE, a final failure, a terminating NOTIFY, a 481/408, or RFC 3261 §13.2.2.4's 64*T1 after another fork's 2xx. */
  ended = false;
  /** RFC 4028 Session-Expires of the last refresh (the 2xx that set it), or null when no session timer runs. */
  sessionExpires: number | null = null;
  /** Message that (re)started the session timer. */
  refreshedBy: number | null = null;
  /** Refreshes that came after the session had already expired. */
  lateRefreshes: LateRefresh[] | null = null;
  /** The next dialog of the call. */
  next: DialogState | null = null;

  constructor(
    readonly id: number,
    readonly call: CallState,
    /** Tag numbers within the call. */
    readonly fromTag: number,
    readonly toTag: number,
    readonly method: string,
    readonly createdBy: number,
    /** The transaction outside a dialog that created it (its response, or a NOTIFY racing the SUBSCRIBE's 2xx). */
    readonly creator: TxnState,
  ) {}
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
  /** For a CANCEL: the INVITE transaction it cancels. */
  cancels: TxnState | null;
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
    cancels: null,
  };
}

export class TxnState {
  /** The end of its list of messages: request copies, responses and ACKs in id order, from firstRequest along MessageLog.nextInTransaction. */
  lastMessage: number;
  requestCount = 1;
  /** The last copy of the request. */
  lastRequest: number;
  firstResponse: number | null = null;
  /** The first copy of the latest distinct response; earlier ones chain through MessageLog.previousFirstCopy. */
  lastFirstCopy: number | null = null;
  firstAck: number | null = null;
  ackFor: '2xx' | 'non-2xx' | null = null;
  responseRetransmissions = 0;
  /** First 180 or 183: where post-dial delay ends. */
  firstAlerting: number | null = null;
  firstSuccess: number | null = null;
  final: number | null = null;
  finalStatus: number | null = null;
  finalReason: string | null = null;
  /** The dialog the transaction runs in, or the (first, then confirmed) one it created. */
  dialog: DialogState | null = null;
  details: TxnDetails | null = null;
  /** The next transaction of the call. */
  next: TxnState | null = null;

  constructor(
    readonly id: number,
    readonly call: CallState,
    readonly method: string,
    /** The CSeq as written, when it is not "<cseqSeq> <method>". */
    private readonly cseqText: string | null,
    readonly cseqSeq: number | null,
    readonly branch: string | null,
    readonly sentBy: string | null,
    /** Tag number within the call, NONE without a From tag. */
    readonly fromTag: number,
    /** The request carried a To tag (RFC 3261 §12.2: sent inside a dialog). */
    readonly inDialog: boolean,
    /** Sent over a transport that does not lose messages (no retransmission timers). */
    readonly reliable: boolean,
    /** The first copy of the request. */
    readonly firstRequest: number,
  ) {
    this.lastMessage = firstRequest;
    this.lastRequest = firstRequest;
  }

  get cseq(): string {
    return this.cseqText ?? `${this.cseqSeq ?? ''} ${this.method}`.trim();
  }

  get hasResponses(): boolean {
    return this.firstResponse !== null;
  }

  get hasAck(): boolean {
    return this.firstAck !== null;
  }

  get retransmissions(): number {
    return this.requestCount - 1 + this.responseRetransmissions;
  }

  get hadCredentials(): boolean {
    return this.details?.hadCredentials ?? false;
  }

  get credentialsNonce(): string | null {
    return this.details?.credentialsNonce ?? null;
  }

  get requestExpires(): number | null {
    return this.details?.requestExpires ?? null;
  }

  get contact(): string | null {
    return this.details?.contact ?? null;
  }

  get finalRetryAfter(): number | null {
    return this.details?.finalRetryAfter ?? null;
  }

  get finalMinExpires(): number | null {
    return this.details?.finalMinExpires ?? null;
  }

  get finalExpires(): number | null {
    return this.details?.finalExpires ?? null;
  }

  get challengeRealm(): string | null {
    return this.details?.challengeRealm ?? null;
  }

  get challengeNonce(): string | null {
    return this.details?.challengeNonce ?? null;
  }

  get cancels(): TxnState | null {
    return this.details?.cancels ?? null;
  }

  /** The details, created on first use. */
  detailsForWriting(): TxnDetails {
    return (this.details ??= emptyDetails());
  }
}

/** Maps that replace the scans of a call once it has many transactions, dialogs or tags. */
class CallIndex {
  /** Transactions by top Via branch (RFC 3261 ones) or RFC 2543 key, oldest first. */
  readonly txnsByKey = new Map<string, TxnState[]>();
  readonly invites: TxnState[] = [];
  /** Dialogs by To tag number, oldest first. */
  readonly dialogsByToTag = new Map<number, DialogState[]>();
  readonly tagNumbers = new Map<string, number>();
}

/** The lookup key of a transaction: its branch, or for RFC 2543 requests (no cookie) the fields §17.2.3 compares. */
export function txnKey(branch: string | null, cseqSeq: number | null, fromTag: number, sentBy: string | null, method: string): string {
  return branch !== null && branch.startsWith(BRANCH_COOKIE) ? branch : `\u0000${cseqSeq}\u0000${fromTag}\u0000${sentBy}\u0000${method}`;
}

/** What few calls have: leg-correlation headers, hold, problem messages, lookup maps. */
export class CallExtras {
  xCallIds: Set<string> | null = null;
  icids: Set<string> | null = null;
  /** The first re-INVITE / UPDATE that put the session on hold. */
  holdOffer: number | null = null;
  /** UDP messages above the size limit of RFC 3261 §18.1.1. */
  oversized: number[] | null = null;
  /** Messages that are not valid SIP, and why. */
  malformed: { id: number; reason: string }[] | null = null;
  lookup: CallIndex | null = null;
}

function matchesTxn(t: TxnState, method: string, cseqSeq: number | null, sentBy: string | null | undefined): boolean {
  return t.method === method && t.cseqSeq === cseqSeq && (sentBy === undefined || t.sentBy === sentBy);
}

export class CallState {
  /** From / To tags seen in the call, numbered in order of first appearance. */
  tags: string[] = [];
  lastMessage: number;
  firstTxn: TxnState | null = null;
  lastTxn: TxnState | null = null;
  txnCount = 0;
  firstDialog: DialogState | null = null;
  lastDialog: DialogState | null = null;
  dialogCount = 0;
  /** The request that opened the call (its From / To make caller and callee), or NONE. */
  openingRequest = NONE;
  openingMethod: string | null = null;
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
    return (this.extras?.holdOffer ?? null) !== null;
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
  tagNumber(tag: string | null): number {
    if (tag === null) return NONE;
    const known = this.knownTag(tag);
    if (known !== NONE) return known;
    const n = this.tags.length;
    // exact-size while small (most calls have two or three tags), amortised growth beyond
    if (n < SCAN_LIMIT) this.tags = this.tags.concat(tag);
    else this.tags.push(tag);
    this.lookup?.tagNumbers.set(tag, n);
    if (n === SCAN_LIMIT) this.buildIndex();
    return n;
  }

  /** The number of a tag already seen in this call, else NONE (also for null). */
  knownTag(tag: string | null): number {
    if (tag === null) return NONE;
    if (this.lookup !== null) return this.lookup.tagNumbers.get(tag) ?? NONE;
    const tags = this.tags;
    for (let i = 0; i < tags.length; i++) if (tags[i] === tag) return i;
    return NONE;
  }

  addTxn(txn: TxnState, key: string): void {
    if (this.lastTxn === null) this.firstTxn = txn;
    else this.lastTxn.next = txn;
    this.lastTxn = txn;
    this.txnCount++;
    if (this.lookup !== null) this.indexTxn(this.lookup, txn, key);
    else if (this.txnCount > SCAN_LIMIT) this.buildIndex();
  }

  addDialog(d: DialogState): void {
    if (this.lastDialog === null) this.firstDialog = d;
    else this.lastDialog.next = d;
    this.lastDialog = d;
    this.dialogCount++;
    if (this.lookup !== null) this.indexDialog(this.lookup, d);
    else if (this.dialogCount > SCAN_LIMIT) this.buildIndex();
  }

  /**
   * The newest transaction with this lookup key (txnKey), method and CSeq number, and with this
   * sent-by unless `sentBy` is undefined: a scan while the call is small.
   */
  newestTxn(key: string, method: string, cseqSeq: number | null, sentBy: string | null | undefined): TxnState | null {
    const lookup = this.lookup;
    if (lookup !== null) {
      const same = lookup.txnsByKey.get(key);
      if (same === undefined) return null;
      for (let i = same.length - 1; i >= 0; i--) if (matchesTxn(same[i]!, method, cseqSeq, sentBy)) return same[i]!;
      return null;
    }
    let found: TxnState | null = null;
    for (let t = this.firstTxn; t !== null; t = t.next) {
      if (matchesTxn(t, method, cseqSeq, sentBy) && txnKey(t.branch, t.cseqSeq, t.fromTag, t.sentBy, t.method) === key) found = t;
    }
    return found;
  }

  /** The call's INVITE transactions, oldest first. */
  inviteTxns(): readonly TxnState[] {
    if (this.lookup !== null) return this.lookup.invites;
    const invites: TxnState[] = [];
    for (let t = this.firstTxn; t !== null; t = t.next) if (t.method === 'INVITE') invites.push(t);
    return invites;
  }

  /** The dialog with exactly these From and To tag numbers. */
  dialogWithTags(fromTag: number, toTag: number): DialogState | null {
    if (this.lookup !== null) {
      for (const d of this.lookup.dialogsByToTag.get(toTag) ?? []) if (d.fromTag === fromTag) return d;
      return null;
    }
    for (let d = this.firstDialog; d !== null; d = d.next) if (d.toTag === toTag && d.fromTag === fromTag) return d;
    return null;
  }

  private buildIndex(): void {
    if (this.lookup !== null) return;
    const index = new CallIndex();
    this.tags.forEach((tag, n) => index.tagNumbers.set(tag, n));
    for (let t = this.firstTxn; t !== null; t = t.next) this.indexTxn(index, t, txnKey(t.branch, t.cseqSeq, t.fromTag, t.sentBy, t.method));
    for (let d = this.firstDialog; d !== null; d = d.next) this.indexDialog(index, d);
    this.more().lookup = index;
  }

  private indexTxn(index: CallIndex, txn: TxnState, key: string): void {
    const same = index.txnsByKey.get(key);
    if (same === undefined) index.txnsByKey.set(key, [txn]);
    else same.push(txn);
    if (txn.method === 'INVITE') index.invites.push(txn);
  }

  private indexDialog(index: CallIndex, d: DialogState): void {
    const same = index.dialogsByToTag.get(d.toTag);
    if (same === undefined) index.dialogsByToTag.set(d.toTag, [d]);
    else same.push(d);
  }
}
