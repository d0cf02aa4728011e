// Reliable provisional responses (RFC 3262 §3) retransmitted because their PRACK was late or lost.
import { responseCopies } from '../lists.js';
import { PRACK } from '../methods.js';
import { count } from '../wording.js';
import * as facts from './facts.js';
import { at, requestName, type AnomalyKind, type Finding, type RuleContext, type RuleFamily } from './types.js';

export const RELIABLE_PROVISIONAL_RETRANSMITTED: AnomalyKind = {
  kind: 'reliable-provisional-retransmitted',
  severity: 'warning',
  title: 'Reliable provisional response retransmitted',
  reference: 'RFC 3262 §3',
};

function retransmittedReliableProvisionals(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log, txnTable: txns } = ctx;
  for (const t of ctx.txns) {
    if (txns.responseRetransmissions(t) === 0) continue;
    for (const copies of responseCopies(txns, t, log)) {
      if (copies.rseq === null || copies.status >= 200 || copies.ids.length < 2) continue;
      ctx.explained.add(t);
      const first = copies.ids[0]!;
      const prack = ctx.txns.find((u) => txns.method(u) === PRACK && log.time(txns.firstRequest(u)) > log.time(first));
      report({
        kind: RELIABLE_PROVISIONAL_RETRANSMITTED,
        subject: txns.id(t),
        callId: ctx.call.callId,
        messages: copies.ids,
        explanation:
          `The reliable ${copies.status} (RSeq ${copies.rseq}) to the ${requestName(log, txns, t)} was sent ${count(copies.ids.length, 'time', 'times')}, first ${at(log, first)}: ` +
          `the UAS retransmits a reliable provisional (T1 doubling) until its PRACK arrives. ` +
          (prack === undefined
            ? 'No PRACK followed in the capture: the caller did not get the response, ignores 100rel, or its PRACK took another path.'
            : `The first PRACK after it was sent ${at(log, txns.firstRequest(prack))}: it came late or was lost on the way.`) +
          ` Check the caller's 100rel support and the path of the PRACK (it follows the dialog's route set).`,
      });
    }
  }
}

export const reliableProvisionalRules: RuleFamily = {
  kinds: [RELIABLE_PROVISIONAL_RETRANSMITTED],
  rules: [{ when: facts.RESPONSE_COPIES, run: retransmittedReliableProvisionals }],
};
