// Retransmissions not already explained by another anomaly: a note per transaction, and a
// warning when one transaction is copied more often than the RFC 3261 timers allow.
import { requestCopies, responseCopies, type ResponseCopies } from '../lists.js';
import type { MessageLog } from '../message-log.js';
import type { TxnTable } from '../state.js';
import { retransmitIntervals } from '../transactions.js';
import { count, secondsList } from '../wording.js';
import * as facts from './facts.js';
import { clockOf, requestName, type AnomalyKind, type Finding, type RuleContext, type RuleFamily } from './types.js';

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
function copies(txns: TxnTable, t: number, log: MessageLog, groups: readonly ResponseCopies[]): number[] {
  const ids = requestCopies(txns, t, log).slice(1);
  for (const c of groups) for (let i = 1; i < c.ids.length; i++) ids.push(c.ids[i]!);
  return ids;
}

function describe(txns: TxnTable, t: number, log: MessageLog, groups: readonly ResponseCopies[]): string {
  const parts: string[] = [];
  const requests = txns.requestCount(t);
  if (requests > 1) {
    parts.push(`the request was sent ${count(requests, 'time', 'times')} (after ${secondsList(retransmitIntervals(requestCopies(txns, t, log), log))})`);
  }
  for (const c of groups) {
    if (c.ids.length > 1) parts.push(`the ${c.status} was sent ${count(c.ids.length, 'time', 'times')}`);
  }
  return parts.join('; ');
}

function retransmissionNotes(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log, txnTable: txns } = ctx;
  const threshold = ctx.thresholds.retransmissionStormThreshold;
  for (const t of ctx.txns) {
    const retransmissions = txns.retransmissions(t);
    if (retransmissions === 0) continue;
    const first = txns.firstRequest(t);
    const groups = responseCopies(txns, t, log);
    const what = `${requestName(log, txns, t)} at ${clockOf(log, first)} (${log.src(first)} -> ${log.dst(first)}, ${log.transport(first)})`;
    if (retransmissions >= threshold) {
      report({
        kind: RETRANSMISSION_STORM,
        subject: txns.id(t),
        callId: ctx.call.callId,
        messages: copies(txns, t, log, groups),
        explanation:
          `The ${what} has ${retransmissions} retransmissions: ${describe(txns, t, log, groups)}. ` +
          `RFC 3261's timers produce at most 10 in the 64*T1 = 32 s a transaction lives, so a peer is retransmitting too fast or too long, ` +
          `or the same message is looping. Check the retransmitting side's timer settings (T1, T2) and whether its counterpart ever answers.`,
      });
    } else if (!ctx.explained.has(t)) {
      report({
        kind: RETRANSMISSIONS,
        subject: txns.id(t),
        callId: ctx.call.callId,
        messages: copies(txns, t, log, groups),
        explanation:
          `The ${what} was retransmitted: ${describe(txns, t, log, groups)}. ` +
          `Over UDP a copy is sent when the expected answer did not arrive in time (T1 = 500 ms, doubling): a message was lost or answered slowly. ` +
          `A few are normal on lossy links; many point at packet loss, an overloaded peer or one-way reachability.`,
      });
    }
  }
}

export const retransmissionRules: RuleFamily = {
  kinds: [RETRANSMISSIONS, RETRANSMISSION_STORM],
  rules: [{ when: facts.RETRANSMISSIONS, run: retransmissionNotes }],
};
