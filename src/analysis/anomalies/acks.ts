// Final responses to INVITE that were never acknowledged: a 2xx (end-to-end ACK,
// RFC 3261 §13.3.1.4) or a non-2xx (hop-by-hop ACK, §17.2.1 Timer G / H).
import { NONE } from '../message-log.js';
import { INVITE } from '../methods.js';
import { reached, RETRANSMITTING_FOR, TIMEOUT_64T1 } from '../timers.js';
import { count, seconds, secondsList } from '../wording.js';
import * as facts from './facts.js';
import { clockOf, copiesOf, finalName, requestName, type AnomalyKind, type Finding, type RuleContext, type RuleFamily } from './types.js';

export const INVITE_2XX_NOT_ACKED: AnomalyKind = {
  kind: 'invite-2xx-not-acked',
  severity: 'error',
  title: '2xx to INVITE never acknowledged',
  reference: 'RFC 3261 §13.3.1.4',
};

export const NON_2XX_NOT_ACKED: AnomalyKind = {
  kind: 'non-2xx-not-acked',
  severity: 'warning',
  title: 'Failure response to INVITE never acknowledged',
  reference: 'RFC 3261 §17.2.1 (Timer G, Timer H), §17.1.1.3',
};

function intervals(ctx: RuleContext, ids: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < ids.length; i++) out.push(ctx.log.time(ids[i]!) - ctx.log.time(ids[i - 1]!));
  return out;
}

/**
 * The UAS retransmits a 2xx until its ACK comes, for 64*T1 (§13.3.1.4). Raised when it did
 * retransmit (so the ACK really did not reach it: a capture that misses the ACK's path alone
 * shows a single 2xx) and the wait reached 64*T1, or the copies went on for three quarters of it.
 */
function twoXxNotAcked(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log, end, txnTable: txns, dialogTable: dialogs } = ctx;
  for (const t of ctx.txns) {
    const success = txns.firstSuccess(t);
    if (txns.method(t) !== INVITE || success === NONE || txns.hasAck(t)) continue;
    const copies = copiesOf(log, txns, t, success);
    if (copies.length < 2) continue;
    const first = log.time(copies[0]!);
    const last = log.time(copies[copies.length - 1]!);
    if (!reached(end - first, TIMEOUT_64T1) && !reached(last - first, RETRANSMITTING_FOR)) continue;
    ctx.explained.add(t);
    const dialog = txns.dialog(t);
    const terminatedBy = dialog === NONE ? NONE : dialogs.terminatedBy(dialog);
    const bye = terminatedBy !== NONE && log.time(terminatedBy) > first ? terminatedBy : null;
    const uas = log.src(copies[0]!);
    report({
      kind: INVITE_2XX_NOT_ACKED,
      subject: txns.id(t),
      callId: ctx.call.callId,
      messages: bye === null ? copies : [...copies, bye],
      explanation:
        `The ${log.status(copies[0]!)} answering the ${requestName(log, txns, t)}, sent by ${uas} at ${clockOf(log, copies[0]!)}, was never acknowledged: ` +
        `the UAS retransmitted it ${count(copies.length - 1, 'time', 'times')} (after ${secondsList(intervals(ctx, copies))}, T1 doubling up to T2) ` +
        `over ${seconds(last - first)} s without seeing an ACK${bye === null ? '' : `, then gave up and ended the call with a BYE at ${clockOf(log, bye)}`}. ` +
        `Without the ACK the answering side tears the session down after 64*T1 = 32 s. ` +
        `Check that the caller receives the 2xx (NAT, a Via it cannot be routed back to) and where it sends the ACK: ` +
        `the ACK follows the 2xx's Contact and Record-Route, so a wrong or private Contact address sends it astray.`,
    });
  }
}

/** A non-2xx final that the server kept retransmitting (Timer G) or waited 64*T1 on (Timer H) without an ACK. */
function failureNotAcked(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log, end, txnTable: txns } = ctx;
  for (const t of ctx.txns) {
    const final = txns.final(t);
    if (txns.method(t) !== INVITE || final === NONE || txns.finalStatus(t) < 300 || txns.hasAck(t)) continue;
    const copies = copiesOf(log, txns, t, final);
    const waited = end - log.time(final);
    if (copies.length < 2 && !reached(waited, TIMEOUT_64T1)) continue;
    ctx.explained.add(t);
    const seen =
      copies.length > 1
        ? `the server retransmitted it ${count(copies.length - 1, 'time', 'times')} (Timer G, after ${secondsList(intervals(ctx, copies))})`
        : `no ACK came in the ${seconds(waited)} s the capture ran on (Timer H is 64*T1 = 32 s)`;
    report({
      kind: NON_2XX_NOT_ACKED,
      subject: txns.id(t),
      callId: ctx.call.callId,
      messages: copies,
      explanation:
        `The ${finalName(txns, t)} to the ${requestName(log, txns, t)}, sent at ${clockOf(log, final)}, was never acknowledged: ${seen}. ` +
        `The ACK for a failure response is sent hop by hop with the INVITE's branch (RFC 3261 §17.1.1.3); ` +
        `its absence means the client did not receive the response or its transaction layer does not answer it. ` +
        `Check the response's path back to ${log.dst(final)} (the top Via's address and port, NAT).`,
    });
  }
}

export const ackRules: RuleFamily = {
  kinds: [INVITE_2XX_NOT_ACKED, NON_2XX_NOT_ACKED],
  rules: [
    { when: facts.INVITE_NOT_ACKED, run: twoXxNotAcked },
    { when: facts.INVITE_NOT_ACKED, run: failureNotAcked },
  ],
};
