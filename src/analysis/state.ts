// The analyzer's working state: one object per call, transaction and dialog, filled while
// messages stream in and turned into the model's output types by finish(). Message ids
// stand for messages; their few facts are in the MessageLog.
import type { SdpMedia, SipTransport } from '../model.js';

/** The magic cookie that marks an RFC 3261 branch (§8.1.1.7); without it, RFC 2543 matching applies. */
export const BRANCH_COOKIE = 'z9hG4bK';

/** Requests that create a dialog when answered 101-299 outside a dialog (RFC 3261 §12.1, RFC 6665 §4.1.2, RFC 3515). */
export const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);

/** Copies of one response of a transaction: same status, To tag and (for reliable provisionals) RSeq. */
export interface ResponseCopies {
  status: number;
  toTag: string | null;
  rseq: number | null;
  ids: number[];
}

/** The From / To of the request that opened a call. */
export interface CallOpening {
  method: string;
  fromUri: string | null;
  fromDisplay: string | null;
  fromTag: string | null;
  toUri: string | null;
  toDisplay: string | null;
  toTag: string | null;
  requestId: number;
}

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
  /** The next dialog with the same To tag (the tracker's index chain). */
  sameToTag: DialogState | null = null;

  constructor(
    readonly id: number,
    readonly call: CallState,
    readonly fromTag: string,
    readonly toTag: string,
    readonly method: string,
    readonly createdBy: number,
  ) {}
}

export class TxnState {
  readonly requests: number[] = [];
  readonly responses: number[] = [];
  readonly copies: ResponseCopies[] = [];
  readonly ack: number[] = [];
  ackFor: '2xx' | 'non-2xx' | null = null;
  responseRetransmissions = 0;
  firstResponse: number | null = null;
  /** First 180 or 183: where post-dial delay ends. */
  firstAlerting: number | null = null;
  firstSuccess: number | null = null;
  final: number | null = null;
  finalStatus: number | null = null;
  finalReason: string | null = null;
  /** Retry-After of the final response (seconds). */
  finalRetryAfter: number | null = null;
  /** Min-Expires of a 423. */
  finalMinExpires: number | null = null;
  /** Expiry the final response grants (Contact expires, else Expires). */
  finalExpires: number | null = null;
  /** realm / nonce of a 401 / 407 challenge. */
  challengeRealm: string | null = null;
  challengeNonce: string | null = null;
  /** The dialog the transaction runs in, or the (first, then confirmed) one it created. */
  dialog: DialogState | null = null;
  /** Early or confirmed dialogs this transaction created (several when the INVITE forked). */
  created: DialogState[] | null = null;
  /** For a CANCEL: the INVITE transaction it cancels. */
  cancels: TxnState | null = null;
  /** The next (older) transaction with the same branch (the tracker's index chain). */
  sameBranch: TxnState | null = null;

  constructor(
    readonly id: number,
    readonly call: CallState,
    readonly method: string,
    readonly cseq: string,
    readonly cseqSeq: number | null,
    readonly branch: string | null,
    readonly sentBy: string | null,
    readonly fromTag: string | null,
    /** The request carried a To tag (RFC 3261 §12.2: sent inside a dialog). */
    readonly inDialog: boolean,
    readonly transport: SipTransport,
    /** Authorization / Proxy-Authorization on the request. */
    readonly hadCredentials: boolean,
    /** Requested expiry (Contact expires, else Expires). */
    readonly requestExpires: number | null,
    readonly contact: string | null,
    /** nonce used by the request's credentials. */
    readonly credentialsNonce: string | null,
  ) {}

  get reliable(): boolean {
    return this.transport !== 'UDP';
  }

  get retransmissions(): number {
    return this.requests.length - 1 + this.responseRetransmissions;
  }
}

export class CallState {
  readonly messages: number[] = [];
  readonly txns: TxnState[] = [];
  readonly dialogs: DialogState[] = [];
  /** INVITE transactions, for matching ACKs of 2xx responses (RFC 3261 §13.2.2.4). */
  readonly invites: TxnState[] = [];
  opening: CallOpening | null = null;
  readonly endpoints = new Set<string>();
  /** Latest SDP media per sender (o= line without its version, else source address). */
  readonly media = new Map<string, SdpMedia[]>();
  /** The first re-INVITE / UPDATE that put the session on hold. */
  holdOffer: number | null = null;
  /** First SDP offer of the call, for guessing B2BUA legs. */
  firstOfferCodecs: string[] | null = null;
  xCallIds: Set<string> | null = null;
  icids: Set<string> | null = null;
  /** UDP messages above the size limit of RFC 3261 §18.1.1. */
  oversized: number[] | null = null;
  lastMessage: number;

  constructor(
    readonly index: number,
    readonly callId: string,
    readonly firstMessage: number,
  ) {
    this.lastMessage = firstMessage;
  }
}
