// 503 Service Unavailable and 500 Server Internal Error: was the request retried, and not
// before the server's Retry-After (RFC 3261 §21.5.4, §21.5.1; RFC 3263 §4.3).
import { NONE } from '../message-log.js';
import { INVITE } from '../methods.js';
import { seconds } from '../wording.js';
import * as facts from './facts.js';
import { clockOf, finalName, requestName, type AnomalyKind, type Finding, type RuleContext, type RuleFamily } from './types.js';

export const SERVICE_UNAVAILABLE_NOT_RETRIED: AnomalyKind = {
  kind: 'service-unavailable-not-retried',
  severity: 'warning',
  title: '503 without Retry-After, request not retried',
  reference: 'RFC 3261 §21.5.4, RFC 3263 §4.3',
};

export const SERVICE_UNAVAILABLE_RETRIED: AnomalyKind = {
  kind: 'service-unavailable-retried',
  severity: 'info',
  title: '503 without Retry-After, request retried',
  reference: 'RFC 3261 §21.5.4, RFC 3263 §4.3',
};

export const RETRY_BEFORE_RETRY_AFTER: AnomalyKind = {
  kind: 'retry-before-retry-after',
  severity: 'warning',
  title: 'Request retried before Retry-After',
  reference: 'RFC 3261 §21.5.4, §20.33',
};

/** Slack for timer granularity and the failure's transit time: a retry this much early still honours Retry-After. */
const RETRY_AFTER_SLACK = 0.1;

/** The next request of the same method in the call sent after the failure: the client's retry (same server or another), else NONE. */
function retryOf(index: number, failure: number, ctx: RuleContext): number {
  const { txns, txnTable: table, log } = ctx;
  const t = txns[index]!;
  const failedAt = log.time(failure);
  for (let j = index + 1; j < txns.length; j++) {
    const later = txns[j]!;
    if (table.method(later) === table.method(t) && table.inDialog(later) === table.inDialog(t) && log.time(table.firstRequest(later)) > failedAt) return later;
  }
  return NONE;
}

function serviceUnavailable(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log, call, txnTable: txns } = ctx;
  for (let i = 0; i < ctx.txns.length; i++) {
    const t = ctx.txns[i]!;
    const failure = txns.final(t);
    const status = txns.finalStatus(t);
    if ((status !== 503 && status !== 500) || failure === NONE) continue;
    const retry = retryOf(i, failure, ctx);
    const request = txns.firstRequest(t);
    const retryAfter = txns.detailsOf(t)?.finalRetryAfter ?? null;
    if (retryAfter !== null) {
      if (retry === NONE) continue;
      const delay = log.time(txns.firstRequest(retry)) - log.time(failure);
      if (delay + RETRY_AFTER_SLACK >= retryAfter) continue;
      report({
        kind: RETRY_BEFORE_RETRY_AFTER,
        subject: call.index,
        callId: call.callId,
        messages: [failure, txns.firstRequest(retry)],
        explanation:
          `The ${finalName(txns, t)} to the ${requestName(log, txns, t)}, sent at ${clockOf(log, failure)}, asked for Retry-After: ${retryAfter} s, ` +
          `but the client retried with ${requestName(log, txns, retry)} at ${clockOf(log, txns.firstRequest(retry))}, after only ${seconds(delay)} s. ` +
          `Retrying early adds load to a server that said it cannot take it; the client should honour the interval or try another server.`,
      });
      continue;
    }
    if (status !== 503) continue;
    if (retry === NONE) {
      report({
        kind: SERVICE_UNAVAILABLE_NOT_RETRIED,
        subject: call.index,
        callId: call.callId,
        messages: [request, failure],
        explanation:
          `The ${requestName(log, txns, t)} sent at ${clockOf(log, request)} was answered ${finalName(txns, t)} at ${clockOf(log, failure)} without Retry-After, ` +
          `and the request was not retried before the capture ended (neither at this server nor at another): the ${txns.method(t) === INVITE ? 'call' : 'request'} failed on an overloaded or unavailable server. ` +
          `A 503 tells the client to try another server (RFC 3263 §4.3) or to retry later; check the server's load, its maintenance state and its upstream resources.`,
      });
    } else {
      const delay = log.time(txns.firstRequest(retry)) - log.time(failure);
      report({
        kind: SERVICE_UNAVAILABLE_RETRIED,
        subject: call.index,
        callId: call.callId,
        messages: [failure, txns.firstRequest(retry)],
        explanation:
          `The ${requestName(log, txns, t)} got ${finalName(txns, t)} without Retry-After at ${clockOf(log, failure)}; ` +
          `the client retried ${seconds(delay)} s later (${requestName(log, txns, retry)} to ${log.dst(txns.firstRequest(retry))}). ` +
          `This is the expected reaction; the server itself reported it was unavailable.`,
      });
    }
  }
}

export const overloadRules: RuleFamily = {
  kinds: [SERVICE_UNAVAILABLE_NOT_RETRIED, SERVICE_UNAVAILABLE_RETRIED, RETRY_BEFORE_RETRY_AFTER],
  rules: [{ when: facts.SERVER_FAILURE, run: serviceUnavailable }],
};
