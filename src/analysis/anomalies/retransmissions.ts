// Retransmissions not already explained by another anomaly: a note per transaction, and a
// warning when one transaction is copied more often than the RFC 3261 timers allow.
import { requestCopies, responseCopies, type ResponseCopies } from '../lists.js';
import type { MessageLog } from '../message-log.js';
import { retransmitIntervals } from '../transactions.js';
import { count, secondsList } from '../wording.js';
import { clockOf, requestName, type AnomalyKind, type Finding, type RuleContext, type RuleFamily } from './types.js';
import type { TxnState } from '../state.js';

export const RETRANSMISSIONS: AnomalyKind = {
  kind: 'retransmissions',
  severity: 'info',
  title: 'Retransmissions',
  reference: 'RFC 3261 §17.1.1.2, §17.1.2.2',
};

export const RETRANSMISSION_STORM: AnomalyKind = {
  kind: 'retransmission-storm',
  severity: 'warning',
  title: 'Retransmission storm',
  reference: 'RFC 3261 §17 (Timers A, E, G)',
};

/** The retransmitted copies: further request copies and every response copy after the first. */
function copies(txn: TxnState, log: MessageLog, groups: readonly ResponseCopies[]): number[] {
  const ids = requestCopies(txn, log).slice(1);
  for (const c of groups) for (let i = 1; i < c.ids.length; i++) ids.push(c.ids[i]!);
  return ids;
}

function describe(txn: TxnState, ctx: RuleContext, groups: readonly ResponseCopies[]): string {
  const parts: string[] = [];
  if (txn.requestCount > 1) {
    parts.push(`the request was sent ${count(txn.requestCount, 'time', 'times')} (after ${secondsList(retransmitIntervals(txn, ctx.log))})`);
  }
  for (const c of groups) {
    if (c.ids.length > 1) parts.push(`the ${c.status} was sent ${count(c.ids.length, 'time', 'times')}`);
  }
  return parts.join('; ');
}

function retransmissionNotes(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log } = ctx;
  const threshold = ctx.thresholds.retransmissionStormThreshold;
  for (const txn of ctx.txns) {
    if (txn.retransmissions === 0) continue;
    const first = txn.firstRequest;
    const groups = responseCopies(txn, log);
    const what = `${requestName(txn)} at ${clockOf(log, first)} (${log.src(first)} -> ${log.dst(first)}, ${log.transport(first)})`;
    if (txn.retransmissions >= threshold) {
      report({
        kind: RETRANSMISSION_STORM,
        subject: txn.id,
        callId: txn.call.callId,
        messages: copies(txn, log, groups),
        explanation:
          `The ${what} has ${txn.retransmissions} retransmissions: ${describe(txn, ctx, groups)}. ` +
          `RFC 3261's timers produce at most 10 in the 64*T1 = 32 s a transaction lives, so a peer is retransmitting too fast or too long, ` +
          `or the same message is looping. Check the retransmitting side's timer settings (T1, T2) and whether its counterpart ever answers.`,
      });
    } else if (!ctx.explained.has(txn)) {
      report({
        kind: RETRANSMISSIONS,
        subject: txn.id,
        callId: txn.call.callId,
        messages: copies(txn, log, groups),
        explanation:
          `The ${what} was retransmitted: ${describe(txn, ctx, groups)}. ` +
          `Over UDP a copy is sent when the expected answer did not arrive in time (T1 = 500 ms, doubling): a message was lost or answered slowly. ` +
          `A few are normal on lossy links; many point at packet loss, an overloaded peer or one-way reachability.`,
      });
    }
  }
}

export const retransmissionRules: RuleFamily = {
  kinds: [RETRANSMISSIONS, RETRANSMISSION_STORM],
  rules: [retransmissionNotes],
};
