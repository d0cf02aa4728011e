// 503 Service Unavailable and 500 Server Internal Error: was the request retried, and not
// before the server's Retry-After (RFC 3261 §21.5.4, §21.5.1; RFC 3263 §4.3).
import type { TxnState } from '../state.js';
import { seconds } from '../wording.js';
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

/** The next request of the same method in the call sent after the failure: the client's retry (same server or another). */
function retryOf(index: number, failure: number, ctx: RuleContext): TxnState | null {
  const txns = ctx.txns;
  const txn = txns[index]!;
  const failedAt = ctx.log.time(failure);
  for (let j = index + 1; j < txns.length; j++) {
    const later = txns[j]!;
    if (later.method === txn.method && later.inDialog === txn.inDialog && ctx.log.time(later.firstRequest) > failedAt) return later;
  }
  return null;
}

function serviceUnavailable(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log, call } = ctx;
  for (let i = 0; i < ctx.txns.length; i++) {
    const txn = ctx.txns[i]!;
    if ((txn.finalStatus !== 503 && txn.finalStatus !== 500) || txn.final === null) continue;
    const failure = txn.final;
    const retry = retryOf(i, failure, ctx);
    const request = txn.firstRequest;
    const retryAfter = txn.finalRetryAfter;
    if (retryAfter !== null) {
      if (retry === null) continue;
      const delay = log.time(retry.firstRequest) - log.time(failure);
      if (delay + RETRY_AFTER_SLACK >= retryAfter) continue;
      report({
        kind: RETRY_BEFORE_RETRY_AFTER,
        subject: call.index,
        callId: call.callId,
        messages: [failure, retry.firstRequest],
        explanation:
          `The ${finalName(txn)} to the ${requestName(txn)}, sent at ${clockOf(log, failure)}, asked for Retry-After: ${retryAfter} s, ` +
          `but the client retried with ${requestName(retry)} at ${clockOf(log, retry.firstRequest)}, after only ${seconds(delay)} s. ` +
          `Retrying early adds load to a server that said it cannot take it; the client should honour the interval or try another server.`,
      });
      continue;
    }
    if (txn.finalStatus !== 503) continue;
    if (retry === null) {
      report({
        kind: SERVICE_UNAVAILABLE_NOT_RETRIED,
        subject: call.index,
        callId: call.callId,
        messages: [request, failure],
        explanation:
          `The ${requestName(txn)} sent at ${clockOf(log, request)} was answered ${finalName(txn)} at ${clockOf(log, failure)} without Retry-After, ` +
          `and the request was not retried before the capture ended (neither at this server nor at another): the ${txn.method === 'INVITE' ? 'call' : 'request'} failed on an overloaded or unavailable server. ` +
          `A 503 tells the client to try another server (RFC 3263 §4.3) or to retry later; check the server's load, its maintenance state and its upstream resources.`,
      });
    } else {
      const delay = log.time(retry.firstRequest) - log.time(failure);
      report({
        kind: SERVICE_UNAVAILABLE_RETRIED,
        subject: call.index,
        callId: call.callId,
        messages: [failure, retry.firstRequest],
        explanation:
          `The ${requestName(txn)} got ${finalName(txn)} without Retry-After at ${clockOf(log, failure)}; ` +
          `the client retried ${seconds(delay)} s later (${requestName(retry)} to ${log.dst(retry.firstRequest)}). ` +
          `This is the expected reaction; the server itself reported it was unavailable.`,
      });
    }
  }
}

export const overloadRules: RuleFamily = {
  kinds: [SERVICE_UNAVAILABLE_NOT_RETRIED, SERVICE_UNAVAILABLE_RETRIED, RETRY_BEFORE_RETRY_AFTER],
  rules: [serviceUnavailable],
};
