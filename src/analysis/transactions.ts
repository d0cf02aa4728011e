// Transactions as the model reports them, with their state when the capture ends
// (RFC 3261 §17.1.1.2 / §17.1.2.2 state machines, judged from the client's side).
import type { Transaction, TransactionState } from '../model.js';
import { requestCopies, sized, txnMessages } from './lists.js';
import type { MessageLog } from './message-log.js';
import type { TxnState } from './state.js';
import { completedLingers, hasTimedOut, reached } from './timers.js';

/** Whether a transaction without a final response counts as timed out when the capture ends at `end`. */
export function isTimedOut(txn: TxnState, log: MessageLog, end: number): boolean {
  if (txn.final !== null) return false;
  const first = log.time(txn.firstRequest);
  const last = log.time(txn.lastRequest);
  return hasTimedOut(first, last, end, txn.method === 'INVITE' && txn.hasResponses);
}

/**
 * pending / timed-out without a final response; terminated at once after a 2xx to INVITE
 * (§17.1.1.2); otherwise completed, and terminated once Timer D (INVITE) or Timer K
 * (non-INVITE) would have run out before the capture's end.
 */
export function transactionState(txn: TxnState, log: MessageLog, end: number): TransactionState {
  if (txn.final === null) return isTimedOut(txn, log, end) ? 'timed-out' : 'pending';
  if (txn.method === 'INVITE' && txn.finalStatus! < 300) return 'terminated';
  return reached(end - log.time(txn.final), completedLingers(txn.method, txn.reliable)) ? 'terminated' : 'completed';
}

/** Seconds between successive copies of the request, rounded to the microsecond. */
export function retransmitIntervals(txn: TxnState, log: MessageLog): number[] {
  if (txn.requestCount === 1) return [];
  const copies = requestCopies(txn, log);
  const intervals = sized<number>(copies.length - 1);
  for (let i = 1; i < copies.length; i++) {
    intervals[i - 1] = Math.round((log.time(copies[i]!) - log.time(copies[i - 1]!)) * 1e6) / 1e6;
  }
  return intervals;
}

export function toTransaction(txn: TxnState, log: MessageLog, end: number): Transaction {
  const { requests, responses, ack } = txnMessages(txn, log);
  return {
    id: txn.id,
    callId: txn.call.callId,
    method: txn.method,
    cseq: txn.cseq,
    branch: txn.branch,
    sentBy: txn.sentBy,
    inDialog: txn.inDialog,
    requests,
    responses,
    ack,
    ackFor: txn.ackFor,
    finalStatus: txn.finalStatus,
    finalResponse: txn.final,
    startTime: log.timeText(txn.firstRequest),
    finalTime: txn.final === null ? null : log.timeText(txn.final),
    state: transactionState(txn, log, end),
    retransmissions: txn.retransmissions,
    retransmitIntervals: retransmitIntervals(txn, log),
    dialog: txn.dialog?.id ?? null,
  };
}
