// Problems of the message itself: too large for UDP (RFC 3261 §18.1.1), or not valid SIP.
import { count } from '../wording.js';
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

function oversized(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log } = ctx;
  const limit = ctx.thresholds.udpMaxMessageBytes;
  const explain = (ids: readonly number[]) => {
    let largest = 0;
    for (const id of ids) largest = Math.max(largest, log.size(id));
    return (
      `${count(ids.length, 'message was', 'messages were')} sent over UDP above ${limit} bytes, the largest ${largest} bytes (first: ${at(log, ids[0]!)}, ${log.size(ids[0]!)} bytes). ` +
      `A request larger than 1300 bytes (or within 200 bytes of the path MTU) must go over a congestion-controlled transport such as TCP; ` +
      `over UDP it is split into IP fragments, which firewalls and NATs often drop, and one lost fragment loses the message. ` +
      `Enable TCP for large messages (or trim headers and SDP), and check that fragments pass on this path.`
    );
  };
  for (const call of ctx.calls) {
    if (call.oversized === null) continue;
    report({ kind: UDP_MESSAGE_TOO_LARGE, callId: call.callId, messages: call.oversized, explanation: explain(call.oversized) });
  }
  if (ctx.oversizedWithoutCall.length > 0) {
    report({ kind: UDP_MESSAGE_TOO_LARGE, callId: null, messages: [...ctx.oversizedWithoutCall], explanation: explain(ctx.oversizedWithoutCall) });
  }
}

function malformed(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log } = ctx;
  for (const m of ctx.malformed) {
    report({
      kind: MALFORMED_MESSAGE,
      callId: m.callId,
      messages: [m.id],
      explanation:
        `The message ${at(log, m.id)} from ${log.src(m.id)} to ${log.dst(m.id)} is not valid SIP: ${m.reason}. ` +
        `A receiver answers a malformed request with 400 Bad Request or drops it, and drops a malformed response; either way the exchange stalls. ` +
        `Check the sender's software, or a middlebox (ALG, SBC) that rewrites SIP on the way.`,
    });
  }
}

export const transportRules: RuleFamily = {
  kinds: [UDP_MESSAGE_TOO_LARGE, MALFORMED_MESSAGE],
  rules: [oversized, malformed],
};
