// Requests that never got a final response (RFC 3261 §17.1.1.2 Timer A / B, §17.1.2.2 Timer E / F).
import { requestCopies, responses } from '../lists.js';
import { isTimedOut, retransmitIntervals } from '../transactions.js';
import { count, seconds, secondsList } from '../wording.js';
import type { TxnState } from '../state.js';
import type { MessageLog } from '../message-log.js';
import { at, clockOf, requestName, type AnomalyKind, type RuleContext, type RuleFamily, type Finding } from './types.js';

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

function copiesText(txn: TxnState, log: MessageLog): string {
  if (txn.requestCount === 1) return 'it was sent once, never retransmitted';
  const timer = txn.method === 'INVITE' ? 'Timer A' : 'Timer E';
  return `it was sent ${count(txn.requestCount, 'time', 'times')}, retransmitted on ${timer} after ${secondsList(retransmitIntervals(txn, log))}`;
}

function explain(txn: TxnState, answers: readonly number[], ctx: RuleContext): string {
  const { log, end } = ctx;
  const first = txn.firstRequest;
  const ran = seconds(end - log.time(first));
  const where = `${log.src(first)} -> ${log.dst(first)} (${log.transport(first)})`;
  const invite = txn.method === 'INVITE';
  const provisional = answers.length > 0 ? `The only answers were provisional (the last: ${at(log, answers[answers.length - 1]!)}), and ` : '';
  const timer = invite
    ? answers.length > 0
      ? 'an INVITE that got a provisional response may ring for at most 3 minutes (Timer C) before the caller gives up'
      : 'Timer B (64*T1 = 32 s) expires and the caller fails the call with a local 408 Request Timeout'
    : 'Timer F (64*T1 = 32 s) expires and the client gives up with a local 408 Request Timeout';
  return (
    `The ${requestName(txn)} sent at ${clockOf(log, first)} on ${where} got no final response: ${copiesText(txn, log)}, ` +
    `and the capture ran on for ${ran} s after it. ${provisional}${timer}. ` +
    `Check that ${log.dst(first)} is up and reachable on that transport and port (routing, firewall, NAT), ` +
    `and that it does not drop the request (overload, a parse error on its side).`
  );
}

function timedOutRequests(ctx: RuleContext, report: (f: Finding) => void): void {
  for (const txn of ctx.txns) {
    if (txn.final !== null || !isTimedOut(txn, ctx.log, ctx.end)) continue;
    ctx.explained.add(txn);
    const answers = responses(txn, ctx.log);
    report({
      kind: txn.method === 'INVITE' ? INVITE_NO_FINAL_RESPONSE : NON_INVITE_NO_FINAL_RESPONSE,
      subject: txn.id,
      callId: txn.call.callId,
      messages: [...requestCopies(txn, ctx.log), ...answers],
      explanation: explain(txn, answers, ctx),
    });
  }
}

export const timeoutRules: RuleFamily = {
  kinds: [INVITE_NO_FINAL_RESPONSE, NON_INVITE_NO_FINAL_RESPONSE],
  rules: [timedOutRequests],
};
