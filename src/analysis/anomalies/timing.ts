// How long the network took to react: the first answer to an INVITE (RFC 3261 §17.2.1) and
// the post-dial delay a caller hears as silence.
import { firstAlerting, initialInvites } from '../calls.js';
import { requestCopies } from '../lists.js';
import { NONE } from '../message-log.js';
import { INVITE } from '../methods.js';
import { seconds } from '../wording.js';
import * as facts from './facts.js';
import { at, clockOf, requestName, type AnomalyKind, type Finding, type RuleContext, type RuleFamily } from './types.js';

export const SLOW_TRYING: AnomalyKind = {
  kind: 'slow-trying',
  severity: 'info',
  title: 'No 100 Trying within 200 ms',
  reference: 'RFC 3261 §17.2.1',
};

export const LONG_POST_DIAL_DELAY: AnomalyKind = {
  kind: 'long-post-dial-delay',
  severity: 'warning',
  title: 'Long post-dial delay',
  reference: 'RFC 3261 §21.1.2; ITU-T E.721',
};

/**
 * §17.2.1: a server transaction that will not answer an INVITE within 200 ms sends 100 Trying.
 * Judged only where the capture sees that hop answer: the first response comes from the
 * INVITE's destination (not a response relayed from further on, not a reply to another copy).
 */
function slowTrying(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log, txnTable: txns } = ctx;
  const limit = ctx.thresholds.slowTryingMs / 1000;
  for (const t of ctx.txns) {
    const response = txns.firstResponse(t);
    if (txns.method(t) !== INVITE || response === NONE) continue;
    const invite = txns.firstRequest(t);
    if (log.srcNumber(response) !== log.dstNumber(invite)) continue;
    const delay = log.time(response) - log.time(invite);
    if (delay <= limit) continue;
    const copies = requestCopies(txns, t, log).filter((r) => log.time(r) < log.time(response)).length;
    report({
      kind: SLOW_TRYING,
      subject: txns.id(t),
      callId: ctx.call.callId,
      messages: [invite, response],
      explanation:
        `The first answer to the ${requestName(log, txns, t)} sent at ${clockOf(log, invite)} came from ${log.dst(invite)} only after ${seconds(delay)} s (a ${log.status(response)}). ` +
        `A server that cannot answer within 200 ms should send 100 Trying at once so the client stops retransmitting` +
        (copies > 1 ? `; here the client had sent the INVITE ${copies} times by then` : '') +
        `. A slow first answer points at a busy server or a slow lookup (DNS, database) before it replies.`,
    });
  }
}

function longPostDialDelay(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log, call, txnTable: txns } = ctx;
  const limit = ctx.thresholds.longPostDialDelaySec;
  const pdd = ctx.summary.postDialDelay;
  if (pdd === null || pdd <= limit) return;
  const initial = initialInvites(call, txns);
  const invite = txns.firstRequest(initial[0]!);
  const alerting = firstAlerting(txns, initial, log);
  const attempts = initial.length;
  report({
    kind: LONG_POST_DIAL_DELAY,
    subject: call.index,
    callId: call.callId,
    messages: [invite, alerting],
    explanation:
      `The caller waited ${seconds(pdd)} s between the INVITE at ${clockOf(log, invite)} and the first ringing or progress response (${at(log, alerting)}), more than ${seconds(limit)} s` +
      (attempts > 1 ? `; the call needed ${attempts} INVITE attempts` : '') +
      `. Long post-dial delay makes callers hang up before the call rings. Look for slow routing lookups, DNS failover, retries after failures, or a callee that is slow to alert.`,
  });
}

export const timingRules: RuleFamily = {
  kinds: [SLOW_TRYING, LONG_POST_DIAL_DELAY],
  rules: [
    { when: facts.SLOW_FIRST_ANSWER, run: slowTrying },
    { when: facts.LONG_POST_DIAL_DELAY, run: longPostDialDelay },
  ],
};
