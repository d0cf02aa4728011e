// Registrations that ended refused (RFC 3261 §10.3): the UA is not reachable through its registrar.
import { registerAttempts } from '../registrations.js';
import * as facts from './facts.js';
import { clockOf, finalName, type AnomalyKind, type Finding, type RuleContext, type RuleFamily } from './types.js';

export const REGISTRATION_FAILED: AnomalyKind = {
  kind: 'registration-failed',
  severity: 'error',
  title: 'Registration failed',
  reference: 'RFC 3261 §10.3, §21.4',
};

/**
 * The last REGISTER of a Call-ID got a final failure (a later success would be the last one);
 * a REGISTER without any answer is a timeout (non-invite-no-final-response) instead.
 */
function failedRegistrations(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log, call, registration, txnTable: txns } = ctx;
  if (registration === null || registration.outcome !== 'failed') return;
  const attempts = registerAttempts(call, txns);
  const last = attempts[attempts.length - 1]!;
  const request = txns.firstRequest(last);
  const final = txns.final(last);
  report({
    kind: REGISTRATION_FAILED,
    subject: call.index,
    callId: call.callId,
    messages: [request, final],
    explanation:
      `The registration of ${registration.aor ?? 'the address-of-record'} failed after ${attempts.length === 1 ? 'a single attempt' : `${attempts.length} attempts`}: ` +
      `the last REGISTER (CSeq ${txns.cseqSeq(last) ?? txns.cseq(last)}), sent at ${clockOf(log, request)}, was answered ${finalName(txns, last)} at ${clockOf(log, final)}, ` +
      `so the UA cannot be reached through this registrar. ${registration.explanation ?? ''}`.trimEnd(),
  });
}

export const registrationRules: RuleFamily = {
  kinds: [REGISTRATION_FAILED],
  rules: [{ when: facts.REGISTRATION_FAILED, run: failedRegistrations }],
};
