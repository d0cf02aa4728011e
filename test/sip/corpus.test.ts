// scanSip against tshark's ground truth for every SIP message of every corpus capture.
import { describe, expect, it } from 'vitest';
import { scanSip } from '../../src/sip/index.js';
import { corpusMessages, corpusNames, groundTruth, type GroundTruth } from './corpus-messages.js';
import type { SipHead } from '../../src/model.js';

/**
 * messages.json builds via_sent_by from tshark's address and port fields, which drops the
 * brackets of an IPv6 reference ("::1:15201"); sipladder keeps the sent-by as written
 * ("[::1]:15201", RFC 3261 §25.1 IPv6reference), so the truth is bracketed before comparing.
 */
function bracketIpv6SentBy(sentBy: string | null): string | null {
  if (sentBy === null || sentBy.split(':').length <= 2) return sentBy;
  const lastColon = sentBy.lastIndexOf(':');
  return `[${sentBy.slice(0, lastColon)}]${sentBy.slice(lastColon)}`;
}

/** The ground-truth fields, named as messages.json names them, taken from a SipHead. */
function asGroundTruth(head: SipHead) {
  return {
    type: head.isRequest ? 'request' : 'response',
    ...(head.isRequest ? { method: head.method, request_uri: head.requestUri } : { status: head.status, reason: head.reason }),
    call_id: head.callId,
    from_uri: head.fromUri,
    to_uri: head.toUri,
    cseq: head.cseq,
    cseq_seq: head.cseqSeq,
    cseq_method: head.cseqMethod,
    via_branch: head.branch,
    via_sent_by: head.sentBy,
    via_count: head.viaCount,
    from_tag: head.fromTag,
    to_tag: head.toTag,
    content_type: head.contentType,
    content_length: head.contentLength,
    expires: head.expires,
    retry_after: head.retryAfter,
    rseq: head.rseq,
    subscription_state: head.subscriptionState,
    has_credentials: head.hasCredentials,
  };
}

function expectedFields(truth: GroundTruth) {
  return {
    type: truth.type,
    ...(truth.type === 'request' ? { method: truth.method, request_uri: truth.request_uri } : { status: truth.status, reason: truth.reason }),
    call_id: truth.call_id,
    from_uri: truth.from_uri,
    to_uri: truth.to_uri,
    cseq: truth.cseq,
    cseq_seq: truth.cseq_seq,
    cseq_method: truth.cseq_method,
    via_branch: truth.via_branch,
    via_sent_by: bracketIpv6SentBy(truth.via_sent_by),
    via_count: truth.via_count,
    from_tag: truth.from_tag,
    to_tag: truth.to_tag,
    content_type: truth.content_type,
    content_length: truth.content_length,
    expires: truth.expires,
    retry_after: truth.retry_after,
    rseq: truth.rseq,
    subscription_state: truth.subscription_state,
    has_credentials: truth.has_credentials,
  };
}

describe('scanSip on the corpus', () => {
  for (const name of corpusNames()) {
    it(`reads every message of ${name} as tshark does`, () => {
      const truth = groundTruth(name);
      const messages = corpusMessages(name);
      expect(messages.map((m) => m.frame)).toEqual(truth.map((t) => t.frame));
      messages.forEach((message, i) => {
        const head = scanSip(message.bytes, { datagram: message.transport === 'UDP' });
        expect({ msg: i, ...asGroundTruth(head) }).toEqual({ msg: i, ...expectedFields(truth[i]) });
        expect(head.malformed).toBeNull();
        expect(head.bodyLength).toBe(truth[i].content_length ?? 0);
      });
    });
  }
});
