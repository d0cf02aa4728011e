// Digest authentication that never gets through: credentials challenged again and again (RFC 3261 §22).
import type { TxnState } from '../state.js';
import { at, type AnomalyKind, type Finding, type RuleContext, type RuleFamily } from './types.js';

export const AUTH_LOOP: AnomalyKind = {
  kind: 'auth-loop',
  severity: 'error',
  title: 'Credentials challenged again and again',
  reference: 'RFC 3261 §22.2, §22.4',
};

/** Two or more requests of one Call-ID (distinct CSeq numbers: one per attempt, whatever the hops) that carried credentials and were challenged again. */
function authLoops(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log, call } = ctx;
  const rechallenged = new Map<number | null, TxnState>();
  for (const t of ctx.txns) {
    if (t.hadCredentials && (t.finalStatus === 401 || t.finalStatus === 407) && !rechallenged.has(t.cseqSeq)) rechallenged.set(t.cseqSeq, t);
  }
  if (rechallenged.size < 2) return;
  const txns = [...rechallenged.values()];
  const messages = txns.flatMap((t) => [t.firstRequest, t.final!]);
  const listed = txns.map((t) => `CSeq ${t.cseqSeq ?? t.cseq} (${at(log, t.final!)})`).join(', ');
  report({
    kind: AUTH_LOOP,
    subject: call.index,
    callId: call.callId,
    messages,
    explanation:
      `${txns.length} requests of this call carried credentials and were challenged again: ${listed}. ` +
      `A client whose credentials are refused should not keep retrying them (RFC 3261 §22.2); each new attempt only repeats the failure. ` +
      `Check the user name, password and realm configured on the client against the server's (${txns[0]!.challengeRealm ? `realm "${txns[0]!.challengeRealm}"` : 'the challenge\'s realm'}), and whether the nonce was marked stale.`,
  });
}

export const authRules: RuleFamily = {
  kinds: [AUTH_LOOP],
  rules: [authLoops],
};
