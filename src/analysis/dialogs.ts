// Dialogs as the model reports them: the highest state reached and the state at capture end.
import type { Dialog } from '../model.js';
import type { MessageLog } from './message-log.js';
import type { DialogState } from './state.js';
import { reached, TIMEOUT_64T1 } from './timers.js';
import { isTimedOut } from './transactions.js';

/**
 * Ends the early dialogs that the end of the capture has settled: those of an INVITE that timed
 * out, and, 64*T1 after the first 2xx of a forked INVITE, the forks never confirmed
 * (RFC 3261 §13.2.2.4: "all the early dialogs that have not transitioned to established dialogs are terminated").
 */
export function settleEarlyDialogs(dialogs: readonly DialogState[], log: MessageLog, end: number): void {
  for (const d of dialogs) {
    if (d.confirmedBy !== null) continue;
    const txn = d.creator;
    const settled = txn.firstSuccess !== null ? reached(end - log.time(txn.firstSuccess), TIMEOUT_64T1) : isTimedOut(txn, log, end);
    if (settled) d.ended = true;
  }
}

export function toDialog(d: DialogState): Dialog {
  const state = d.confirmedBy === null ? 'early' : 'confirmed';
  return {
    id: d.id,
    callId: d.call.callId,
    fromTag: d.call.tagName(d.fromTag)!,
    toTag: d.call.tagName(d.toTag)!,
    method: d.method,
    state,
    endState: d.ended ? 'terminated' : state,
    createdBy: d.createdBy,
    confirmedBy: d.confirmedBy,
    terminatedBy: d.terminatedBy,
  };
}
