// Problems of the message itself: too large for UDP (RFC 3261 §18.1.1), or not valid SIP.
import type { MessageLog } from '../message-log.js';
import { count } from '../wording.js';
import * as facts from './facts.js';
import { at, type AnomalyKind, type Finding, type RuleContext, type RuleFamily } from './types.js';

export const UDP_MESSAGE_TOO_LARGE: AnomalyKind = {
  kind: 'udp-message-too-large',
  severity: 'warning',
  title: 'Message too large for UDP',
  reference: 'RFC 3261 §18.1.1',
};

export const MALFORMED_MESSAGE: AnomalyKind = {
  kind: 'malformed-message',
  severity: 'warning',
  title: 'Malformed SIP message',
  reference: 'RFC 3261 §7, §25',
};

function explainOversized(log: MessageLog, limit: number, ids: readonly number[]): string {
  let largest = 0;
  for (const id of ids) largest = Math.max(largest, log.size(id));
  return (
    `${count(ids.length, 'message was', 'messages were')} sent over UDP above ${limit} bytes, the largest ${largest} bytes (first: ${at(log, ids[0]!)}, ${log.size(ids[0]!)} bytes). ` +
    `A request larger than 1300 bytes (or within 200 bytes of the path MTU) must go over a congestion-controlled transport such as TCP; ` +
    `over UDP it is split into IP fragments, which firewalls and NATs often drop, and one lost fragment loses the message. ` +
    `Enable TCP for large messages (or trim headers and SDP), and check that fragments pass on this path.`
  );
}

function oversized(ctx: RuleContext, report: (f: Finding) => void): void {
  const { call } = ctx;
  if (call.oversized === null) return;
  report({
    kind: UDP_MESSAGE_TOO_LARGE,
    subject: call.index,
    callId: call.callId,
    messages: call.oversized,
    explanation: explainOversized(ctx.log, ctx.thresholds.udpMaxMessageBytes, call.oversized),
  });
}

/** The subject of the finding on oversized messages of no call: after those of every call. */
const AFTER_EVERY_CALL = 0x7fffffff;

/** The oversized messages without a Call-ID, in one finding (the oversized rule's last). */
export function oversizedWithoutCall(log: MessageLog, limit: number, ids: readonly number[]): Finding {
  return { kind: UDP_MESSAGE_TOO_LARGE, subject: AFTER_EVERY_CALL, callId: null, messages: [...ids], explanation: explainOversized(log, limit, ids) };
}

/** A message that is not valid SIP, of a call or of none. */
export function malformedMessage(log: MessageLog, id: number, callId: string | null, reason: string): Finding {
  return {
    kind: MALFORMED_MESSAGE,
    subject: id,
    callId,
    messages: [id],
    explanation:
      `The message ${at(log, id)} from ${log.src(id)} to ${log.dst(id)} is not valid SIP: ${reason}. ` +
      `A receiver answers a malformed request with 400 Bad Request or drops it, and drops a malformed response; either way the exchange stalls. ` +
      `Check the sender's software, or a middlebox (ALG, SBC) that rewrites SIP on the way.`,
  };
}

function malformed(ctx: RuleContext, report: (f: Finding) => void): void {
  const { call } = ctx;
  for (const m of call.malformed ?? []) report(malformedMessage(ctx.log, m.id, call.callId, m.reason));
}

export const transportRules: RuleFamily = {
  kinds: [UDP_MESSAGE_TOO_LARGE, MALFORMED_MESSAGE],
  rules: [
    { when: facts.OVERSIZED, run: oversized },
    { when: facts.MALFORMED, run: malformed },
  ],
};
