// Digest authentication that never gets through: credentials challenged again and again (RFC 3261 §22).
import * as facts from './facts.js';
import { at, type AnomalyKind, type Finding, type RuleContext, type RuleFamily } from './types.js';

export const AUTH_LOOP: AnomalyKind = {
  kind: 'auth-loop',
  severity: 'error',
  title: 'Credentials challenged again and again',
  reference: 'RFC 3261 §22.2, §22.4',
};

/** Two or more requests of one Call-ID (distinct CSeq numbers: one per attempt, whatever the hops) that carried credentials and were challenged again. */
function authLoops(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log, call, txnTable: txns } = ctx;
  const rechallenged = new Map<number | null, number>();
  for (const t of ctx.txns) {
    const status = txns.finalStatus(t);
    if (txns.hadCredentials(t) && (status === 401 || status === 407) && !rechallenged.has(txns.cseqSeq(t))) rechallenged.set(txns.cseqSeq(t), t);
  }
  if (rechallenged.size < 2) return;
  const loop = [...rechallenged.values()];
  const messages = loop.flatMap((t) => [txns.firstRequest(t), txns.final(t)]);
  const listed = loop.map((t) => `CSeq ${txns.cseqSeq(t) ?? txns.cseq(t)} (${at(log, txns.final(t))})`).join(', ');
  const realm = txns.detailsOf(loop[0]!)?.challengeRealm ?? null;
  report({
    kind: AUTH_LOOP,
    subject: call.index,
    callId: call.callId,
    messages,
    explanation:
      `${loop.length} requests of this call carried credentials and were challenged again: ${listed}. ` +
      `A client whose credentials are refused should not keep retrying them (RFC 3261 §22.2); each new attempt only repeats the failure. ` +
      `Check the user name, password and realm configured on the client against the server's (${realm ? `realm "${realm}"` : 'the challenge\'s realm'}), and whether the nonce was marked stale.`,
  });
}

export const authRules: RuleFamily = {
  kinds: [AUTH_LOOP],
  rules: [{ when: facts.CREDENTIALS_CHALLENGED, run: authLoops }],
};
