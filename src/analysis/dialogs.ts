// Dialogs as the model reports them: the highest state reached and the state at capture end.
import type { Dialog } from '../model.js';
import { NONE, type MessageLog } from './message-log.js';
import type { CallState, DialogTable, TxnTable } from './state.js';
import { reached, TIMEOUT_64T1 } from './timers.js';
import { isTimedOut } from './transactions.js';

/**
 * Ends the early dialogs that the end of the capture has settled: those of an INVITE that timed
 * out, and, 64*T1 after the first 2xx of a forked INVITE, the forks never confirmed
 * (RFC 3261 §13.2.2.4: "all the early dialogs that have not transitioned to established dialogs are terminated").
 */
export function settleEarlyDialogs(call: CallState, dialogs: DialogTable, txns: TxnTable, log: MessageLog, end: number): void {
  for (let d = call.firstDialog; d !== NONE; d = dialogs.next(d)) {
    if (dialogs.confirmedBy(d) !== NONE) continue;
    const t = dialogs.creator(d);
    const firstSuccess = txns.firstSuccess(t);
    const settled = firstSuccess !== NONE ? reached(end - log.time(firstSuccess), TIMEOUT_64T1) : isTimedOut(txns, t, log, end);
    if (settled) dialogs.end(d);
  }
}

export function toDialog(call: CallState, dialogs: DialogTable, d: number, log: MessageLog): Dialog {
  const confirmedBy = dialogs.confirmedBy(d);
  const terminatedBy = dialogs.terminatedBy(d);
  const state = confirmedBy === NONE ? 'early' : 'confirmed';
  return {
    id: dialogs.id(d),
    callId: call.callId,
    fromTag: call.tagName(dialogs.fromTag(d))!,
    toTag: call.tagName(dialogs.toTag(d))!,
    method: log.methodName(dialogs.method(d)),
    state,
    endState: dialogs.ended(d) ? 'terminated' : state,
    createdBy: dialogs.createdBy(d),
    confirmedBy: confirmedBy === NONE ? null : confirmedBy,
    terminatedBy: terminatedBy === NONE ? null : terminatedBy,
  };
}
