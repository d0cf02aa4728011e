// Transactions as the model reports them, with their state when the capture ends
// (RFC 3261 §17.1.1.2 / §17.1.2.2 state machines, judged from the client's side).
import type { Transaction, TransactionState } from '../model.js';
import { sized, txnMessages } from './lists.js';
import { NONE, type MessageLog } from './message-log.js';
import { INVITE } from './methods.js';
import type { TxnTable } from './state.js';
import { completedLingers, hasTimedOut, reached } from './timers.js';

/** Whether a transaction without a final response counts as timed out when the capture ends at `end`. */
export function isTimedOut(txns: TxnTable, t: number, log: MessageLog, end: number): boolean {
  if (txns.final(t) !== NONE) return false;
  const first = log.time(txns.firstRequest(t));
  const last = log.time(txns.lastRequest(t));
  return hasTimedOut(first, last, end, txns.method(t) === INVITE && txns.firstResponse(t) !== NONE);
}

/**
 * pending / timed-out without a final response; terminated at once after a 2xx to INVITE
 * (§17.1.1.2); otherwise completed, and terminated once Timer D (INVITE) or Timer K
 * (non-INVITE) would have run out before the capture's end.
 */
export function transactionState(txns: TxnTable, t: number, log: MessageLog, end: number): TransactionState {
  const final = txns.final(t);
  if (final === NONE) return isTimedOut(txns, t, log, end) ? 'timed-out' : 'pending';
  const invite = txns.method(t) === INVITE;
  if (invite && txns.finalStatus(t) < 300) return 'terminated';
  return reached(end - log.time(final), completedLingers(invite, txns.reliable(t))) ? 'terminated' : 'completed';
}

/** Seconds between successive copies of a request (`copies`, in order), rounded to the microsecond. */
export function retransmitIntervals(copies: readonly number[], log: MessageLog): number[] {
  if (copies.length <= 1) return [];
  const intervals = sized<number>(copies.length - 1);
  for (let i = 1; i < copies.length; i++) {
    intervals[i - 1] = Math.round((log.time(copies[i]!) - log.time(copies[i - 1]!)) * 1e6) / 1e6;
  }
  return intervals;
}

/** The model's final status of a transaction: null without a final response. */
export function finalStatusOf(txns: TxnTable, t: number): number | null {
  return txns.final(t) === NONE ? null : txns.finalStatus(t);
}

export function toTransaction(txns: TxnTable, t: number, callId: string, dialogId: number | null, log: MessageLog, end: number): Transaction {
  const { requests, responses, ack } = txnMessages(txns, t, log);
  const final = txns.final(t);
  return {
    id: txns.id(t),
    callId,
    method: log.methodName(txns.method(t)),
    cseq: txns.cseq(t),
    branch: txns.branch(t),
    sentBy: txns.sentBy(t),
    inDialog: txns.inDialog(t),
    requests,
    responses,
    ack,
    ackFor: txns.ackFor(t),
    finalStatus: finalStatusOf(txns, t),
    finalResponse: final === NONE ? null : final,
    startTime: log.timeText(txns.firstRequest(t)),
    finalTime: final === NONE ? null : log.timeText(final),
    state: transactionState(txns, t, log, end),
    retransmissions: txns.retransmissions(t),
    retransmitIntervals: retransmitIntervals(requests, log),
    dialog: dialogId,
  };
}
