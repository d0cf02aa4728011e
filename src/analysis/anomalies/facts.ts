// What a settled call has that some anomaly rule looks for, found in one walk over its
// transactions and dialogs. Each rule names the facts it needs and runs only on calls that
// have one of them: an ordinary call passes the whole catalogue in that one walk, and a rule
// that never fires is never run (nor compiled) at all.
import type { Call, Registration } from '../../model.js';
import { hasResponseWith } from '../lists.js';
import { NONE, type MessageLog } from '../message-log.js';
import { CANCEL as CANCEL_METHOD, INVITE } from '../methods.js';
import type { CallState, DialogTable, TxnTable } from '../state.js';
import type { RuleThresholds } from './types.js';

/** A transaction without a final response. */
export const UNFINISHED = 1 << 0;
/** An INVITE transaction with a 2xx, or a final failure, and no ACK. */
export const INVITE_NOT_ACKED = 1 << 1;
/** A response sent more than once. */
export const RESPONSE_COPIES = 1 << 2;
/** A final 500 or 503. */
export const SERVER_FAILURE = 1 << 3;
/** The registration of the call failed. */
export const REGISTRATION_FAILED = 1 << 4;
/** A request with credentials answered 401 or 407. */
export const CREDENTIALS_CHALLENGED = 1 << 5;
/** A response 481, 482, 483 or 491. */
export const DIALOG_ERROR = 1 << 6;
/** A CANCEL of a known INVITE. */
export const CANCEL = 1 << 7;
/** An INVITE whose first answer came later than the slow-trying threshold. */
export const SLOW_FIRST_ANSWER = 1 << 8;
/** A post-dial delay above its threshold. */
export const LONG_POST_DIAL_DELAY = 1 << 9;
/** A dialog with a session timer (RFC 4028), or a refresh that came late. */
export const SESSION_TIMER = 1 << 10;
/** UDP messages above the size limit. */
export const OVERSIZED = 1 << 11;
/** Messages that are not valid SIP. */
export const MALFORMED = 1 << 12;
/** A transaction with retransmissions. */
export const RETRANSMISSIONS = 1 << 13;

function isDialogError(status: number): boolean {
  return status === 481 || status === 491 || status === 482 || status === 483;
}


function txnFacts(txns: TxnTable, t: number, log: MessageLog, slowTryingSec: number): number {
  let facts = 0;
  const final = txns.final(t);
  const status = txns.finalStatus(t);
  if (final === NONE) facts |= UNFINISHED;
  else if (status === 500 || status === 503) facts |= SERVER_FAILURE;
  if (txns.retransmissions(t) > 0) facts |= RETRANSMISSIONS;
  if (txns.responseRetransmissions(t) > 0) facts |= RESPONSE_COPIES;
  if ((status === 401 || status === 407) && txns.hadCredentials(t)) facts |= CREDENTIALS_CHALLENGED;
  if (hasResponseWith(txns, t, log, isDialogError)) facts |= DIALOG_ERROR;
  const method = txns.method(t);
  if (method === INVITE) {
    if (!txns.hasAck(t) && (txns.firstSuccess(t) !== NONE || status >= 300)) facts |= INVITE_NOT_ACKED;
    const response = txns.firstResponse(t);
    if (response !== NONE && log.time(response) - log.time(txns.firstRequest(t)) > slowTryingSec) facts |= SLOW_FIRST_ANSWER;
  } else if (method === CANCEL_METHOD && txns.cancels(t) !== NONE) {
    facts |= CANCEL;
  }
  return facts;
}

function dialogFacts(dialogs: DialogTable, d: number): number {
  return dialogs.sessionExpires(d) !== null || dialogs.lateRefreshes(d) !== null ? SESSION_TIMER : 0;
}

/** Every fact of the call that some rule looks for. */
export function callFacts(call: CallState, txns: TxnTable, dialogs: DialogTable, summary: Call, registration: Registration | null, log: MessageLog, thresholds: RuleThresholds): number {
  let facts = 0;
  const slowTryingSec = thresholds.slowTryingMs / 1000;
  for (let t = call.firstTxn; t !== NONE; t = txns.next(t)) facts |= txnFacts(txns, t, log, slowTryingSec);
  for (let d = call.firstDialog; d !== NONE; d = dialogs.next(d)) facts |= dialogFacts(dialogs, d);
  if (registration !== null && registration.outcome === 'failed') facts |= REGISTRATION_FAILED;
  if (summary.postDialDelay !== null && summary.postDialDelay > thresholds.longPostDialDelaySec) facts |= LONG_POST_DIAL_DELAY;
  if (call.oversized !== null) facts |= OVERSIZED;
  if (call.malformed !== null) facts |= MALFORMED;
  return facts;
}
