// Requests that never got a final response (RFC 3261 §17.1.1.2 Timer A / B, §17.1.2.2 Timer E / F).
import { requestCopies, responses } from '../lists.js';
import { NONE, type MessageLog } from '../message-log.js';
import { INVITE } from '../methods.js';
import type { TxnTable } from '../state.js';
import { isTimedOut, retransmitIntervals } from '../transactions.js';
import { count, seconds, secondsList } from '../wording.js';
import * as facts from './facts.js';
import { at, clockOf, requestName, type AnomalyKind, type Finding, type RuleContext, type RuleFamily } from './types.js';

export const INVITE_NO_FINAL_RESPONSE: AnomalyKind = {
  kind: 'invite-no-final-response',
  severity: 'error',
  title: 'INVITE got no final response',
  reference: 'RFC 3261 §17.1.1.2 (Timer A, Timer B)',
};

export const NON_INVITE_NO_FINAL_RESPONSE: AnomalyKind = {
  kind: 'non-invite-no-final-response',
  severity: 'error',
  title: 'Request got no final response',
  reference: 'RFC 3261 §17.1.2.2 (Timer E, Timer F)',
};

function copiesText(txns: TxnTable, t: number, log: MessageLog): string {
  const requests = txns.requestCount(t);
  if (requests === 1) return 'it was sent once, never retransmitted';
  const timer = txns.method(t) === INVITE ? 'Timer A' : 'Timer E';
  return `it was sent ${count(requests, 'time', 'times')}, retransmitted on ${timer} after ${secondsList(retransmitIntervals(requestCopies(txns, t, log), log))}`;
}

function explain(t: number, answers: readonly number[], ctx: RuleContext): string {
  const { log, end, txnTable: txns } = ctx;
  const first = txns.firstRequest(t);
  const ran = seconds(end - log.time(first));
  const where = `${log.src(first)} -> ${log.dst(first)} (${log.transport(first)})`;
  const invite = txns.method(t) === INVITE;
  const provisional = answers.length > 0 ? `The only answers were provisional (the last: ${at(log, answers[answers.length - 1]!)}), and ` : '';
  const timer = invite
    ? answers.length > 0
      ? 'an INVITE that got a provisional response may ring for at most 3 minutes (Timer C) before the caller gives up'
      : 'Timer B (64*T1 = 32 s) expires and the caller fails the call with a local 408 Request Timeout'
    : 'Timer F (64*T1 = 32 s) expires and the client gives up with a local 408 Request Timeout';
  return (
    `The ${requestName(log, txns, t)} sent at ${clockOf(log, first)} on ${where} got no final response: ${copiesText(txns, t, log)}, ` +
    `and the capture ran on for ${ran} s after it. ${provisional}${timer}. ` +
    `Check that ${log.dst(first)} is up and reachable on that transport and port (routing, firewall, NAT), ` +
    `and that it does not drop the request (overload, a parse error on its side).`
  );
}

function timedOutRequests(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log, end, txnTable: txns } = ctx;
  for (const t of ctx.txns) {
    if (txns.final(t) !== NONE || !isTimedOut(txns, t, log, end)) continue;
    ctx.explained.add(t);
    const answers = responses(txns, t, log);
    report({
      kind: txns.method(t) === INVITE ? INVITE_NO_FINAL_RESPONSE : NON_INVITE_NO_FINAL_RESPONSE,
      subject: txns.id(t),
      callId: ctx.call.callId,
      messages: [...requestCopies(txns, t, log), ...answers],
      explanation: explain(t, answers, ctx),
    });
  }
}

export const timeoutRules: RuleFamily = {
  kinds: [INVITE_NO_FINAL_RESPONSE, NON_INVITE_NO_FINAL_RESPONSE],
  rules: [{ when: facts.UNFINISHED, run: timedOutRequests }],
};
