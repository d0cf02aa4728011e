// Registrations (RFC 3261 §10): per REGISTER Call-ID, one attempt per CSeq number, the
// registrar's answers explained, and the state of the binding when the capture ends.
import type { Registration, RegistrationAttempt, RegistrationOutcome } from '../model.js';
import type { MessageLog } from './message-log.js';
import type { CallState, TxnState } from './state.js';
import { isTimedOut } from './transactions.js';

/**
 * One transaction per CSeq number: through a proxy the same REGISTER crosses two hops,
 * and the hop nearest the UA (seen first) speaks for the attempt.
 */
export function registerAttempts(txns: readonly TxnState[]): TxnState[] {
  const byCseq = new Map<number | null, TxnState>();
  for (const t of txns) if (t.method === 'REGISTER' && !byCseq.has(t.cseqSeq)) byCseq.set(t.cseqSeq, t);
  return [...byCseq.values()];
}

function isChallenge(status: number | null): boolean {
  return status === 401 || status === 407;
}

function retryAfterText(txn: TxnState): string {
  return txn.finalRetryAfter !== null
    ? `it asked for a retry after ${txn.finalRetryAfter} s (Retry-After)`
    : 'it gave no Retry-After, so the UA should wait (RFC 3261 §21.5.4 suggests tens of seconds) or try another server (RFC 3263 §4.3)';
}

/** What the registrar's final answer to one attempt means, or null for a plain success. */
function attemptExplanation(txn: TxnState, next: TxnState | null, challengedBefore: TxnState | null): string | null {
  const status = txn.finalStatus;
  if (status === null || status < 300) return null;
  const reason = txn.finalReason ? ` ${txn.finalReason}` : '';
  if (isChallenge(status)) {
    const header = status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    if (txn.hadCredentials) {
      let nonce = '';
      if (challengedBefore?.challengeNonce && txn.credentialsNonce && txn.credentialsNonce !== challengedBefore.challengeNonce) {
        nonce = ` The credentials answered nonce "${txn.credentialsNonce}", not the latest challenge's "${challengedBefore.challengeNonce}".`;
      }
      return `${status}${reason} although the REGISTER carried credentials: the password or user name is wrong, or the nonce was stale (a stale nonce is re-challenged with stale=true; a wrong password is not).${nonce} Check the account's credentials and realm (RFC 3261 §22.2).`;
    }
    if (next === null) return `${status}${reason}: the registrar asked for digest credentials (${header}) and the UA never answered the challenge: it has no credentials configured for this realm or gave up (RFC 3261 §22.2).`;
    return `${status}${reason}: the normal digest challenge (${header}); the UA answered it with credentials in CSeq ${next.cseq}.`;
  }
  switch (status) {
    case 403:
      return `403${reason}: the registrar understood the REGISTER and refused it: the identity or domain is not accepted here (a user name the credentials may not register, an address-of-record of a domain this registrar does not serve, or a barred account). Repeating the credentials will not help (RFC 3261 §21.4.4).`;
    case 404:
      return `404${reason}: the registrar does not know the user of the address-of-record ${txn.call.toUri ?? ''} or does not serve its domain (RFC 3261 §21.4.5). Check the To URI and the account's domain.`;
    case 423: {
      const min = txn.finalMinExpires;
      const wanted = min === null ? 'a longer expiry (no Min-Expires given)' : `at least ${min} s (Min-Expires)`;
      if (next === null) return `423${reason}: the registrar wants ${wanted}, asked for ${txn.requestExpires ?? 'the default'} s; the UA did not retry (RFC 3261 §10.2.8).`;
      const honoured = min !== null && next.requestExpires !== null && next.requestExpires >= min;
      return `423${reason}: the registrar wants ${wanted}, asked for ${txn.requestExpires ?? 'the default'} s; the retry (CSeq ${next.cseq}) asked for ${next.requestExpires ?? 'the default'} s, which ${honoured ? 'honours' : 'does not honour'} it (RFC 3261 §10.2.8).`;
    }
    case 408:
    case 504:
      return `${status}${reason}: the registrar${status === 504 ? ' waited for a server it needed (e.g. an authentication or user database) and' : ''} gave up in time-out; the registration is not in place. Check the path to the registrar and its back end.`;
    case 500:
    case 503:
      return `${status}${reason}: the registrar ${status === 503 ? 'is overloaded or in maintenance' : 'failed internally'}; ${retryAfterText(txn)}.`;
    default:
      return `${status}${reason}: the registrar refused the REGISTER.`;
  }
}

function toAttempt(txn: TxnState, next: TxnState | null, challengedBefore: TxnState | null): RegistrationAttempt {
  const success = txn.finalStatus !== null && txn.finalStatus < 300;
  return {
    cseq: txn.cseq,
    request: txn.firstRequest,
    final: txn.final,
    finalStatus: txn.finalStatus,
    expiresRequested: txn.requestExpires,
    expiresGranted: success ? (txn.finalExpires ?? txn.requestExpires) : null,
    challenged: isChallenge(txn.finalStatus),
    realm: txn.challengeRealm,
    nonce: txn.challengeNonce,
    hadCredentials: txn.hadCredentials,
    explanation: attemptExplanation(txn, next, challengedBefore),
  };
}

export function toRegistration(call: CallState, callTxns: readonly TxnState[], log: MessageLog, end: number): Registration | null {
  const txns = registerAttempts(callTxns);
  if (txns.length === 0) return null;
  const attempts: RegistrationAttempt[] = [];
  let challengedBefore: TxnState | null = null;
  for (let i = 0; i < txns.length; i++) {
    attempts.push(toAttempt(txns[i]!, txns[i + 1] ?? null, challengedBefore));
    if (isChallenge(txns[i]!.finalStatus)) challengedBefore = txns[i]!;
  }
  const last = txns[txns.length - 1]!;
  const lastAttempt = attempts[attempts.length - 1]!;
  let outcome: RegistrationOutcome;
  let expires: number | null = null;
  let explanation: string;
  if (last.finalStatus === null) {
    outcome = isTimedOut(last, log, end) ? 'no-final-response' : 'pending';
    explanation =
      outcome === 'pending'
        ? `The last REGISTER (CSeq ${last.cseq}) was still waiting for its answer when the capture ended.`
        : `The last REGISTER (CSeq ${last.cseq}) got no final response: the registrar is unreachable or does not answer (RFC 3261 §17.1.2.2, Timer F).`;
  } else if (last.finalStatus < 300) {
    outcome = last.requestExpires === 0 ? 'unregistered' : 'registered';
    expires = outcome === 'unregistered' ? 0 : lastAttempt.expiresGranted;
    explanation =
      outcome === 'unregistered'
        ? `The binding was removed: REGISTER CSeq ${last.cseq} with expiry 0 was answered ${last.finalStatus}.`
        : `Registered: the registrar accepted CSeq ${last.cseq}${expires !== null ? ` for ${expires} s` : ''}.`;
  } else {
    outcome = 'failed';
    explanation = lastAttempt.explanation ?? `The registrar answered ${last.finalStatus}.`;
  }
  let contact: string | null = null;
  for (const t of txns) contact = t.contact ?? contact;
  return {
    callId: call.callId,
    aor: call.toUri,
    contact,
    attempts,
    challenges: attempts.filter((a) => a.challenged).length,
    outcome,
    finalStatus: last.finalStatus,
    expires,
    explanation,
  };
}
