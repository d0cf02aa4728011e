// Registrations (RFC 3261 §10): per REGISTER Call-ID, one attempt per CSeq number, the
// registrar's answers explained, and the state of the binding when the capture ends.
import type { Registration, RegistrationAttempt, RegistrationOutcome } from '../model.js';
import { NONE, type MessageLog } from './message-log.js';
import { REGISTER } from './methods.js';
import type { CallState, TxnTable } from './state.js';
import { finalStatusOf, isTimedOut } from './transactions.js';

/**
 * One transaction per CSeq number: through a proxy the same REGISTER crosses two hops,
 * and the hop nearest the UA (seen first) speaks for the attempt.
 */
export function registerAttempts(call: CallState, txns: TxnTable): number[] {
  let byCseq: Map<number | null, number> | null = null;
  for (let t = call.firstTxn; t !== NONE; t = txns.next(t)) {
    if (txns.method(t) !== REGISTER) continue;
    byCseq ??= new Map();
    const cseqSeq = txns.cseqSeq(t);
    if (!byCseq.has(cseqSeq)) byCseq.set(cseqSeq, t);
  }
  return byCseq === null ? [] : [...byCseq.values()];
}

function isChallenge(status: number | null): boolean {
  return status === 401 || status === 407;
}

function retryAfterText(retryAfter: number | null): string {
  return retryAfter !== null
    ? `it asked for a retry after ${retryAfter} s (Retry-After)`
    : 'it gave no Retry-After, so the UA should wait (RFC 3261 §21.5.4 suggests tens of seconds) or try another server (RFC 3263 §4.3)';
}

/** What the registrar's final answer to one attempt means, or null for a plain success. */
function attemptExplanation(call: CallState, txns: TxnTable, t: number, next: number, challengedBefore: number): string | null {
  const status = finalStatusOf(txns, t);
  if (status === null || status < 300) return null;
  const details = txns.detailsOf(t);
  const finalReason = txns.finalReason(t);
  const reason = finalReason ? ` ${finalReason}` : '';
  const requestExpires = details?.requestExpires ?? null;
  const nextExpires = next === NONE ? null : (txns.detailsOf(next)?.requestExpires ?? null);
  if (isChallenge(status)) {
    const header = status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    if (details?.hadCredentials) {
      const used = details.credentialsNonce;
      const challenged = challengedBefore === NONE ? null : (txns.detailsOf(challengedBefore)?.challengeNonce ?? null);
      let nonce = '';
      if (challenged && used && used !== challenged) nonce = ` The credentials answered nonce "${used}", not the latest challenge's "${challenged}".`;
      return `${status}${reason} although the REGISTER carried credentials: the password or user name is wrong, or the nonce was stale (a stale nonce is re-challenged with stale=true; a wrong password is not).${nonce} Check the account's credentials and realm (RFC 3261 §22.2).`;
    }
    if (next === NONE) return `${status}${reason}: the registrar asked for digest credentials (${header}) and the UA never answered the challenge: it has no credentials configured for this realm or gave up (RFC 3261 §22.2).`;
    return `${status}${reason}: the normal digest challenge (${header}); the UA answered it with credentials in CSeq ${txns.cseq(next)}.`;
  }
  switch (status) {
    case 403:
      return `403${reason}: the registrar understood the REGISTER and refused it: the identity or domain is not accepted here (a user name the credentials may not register, an address-of-record of a domain this registrar does not serve, or a barred account). Repeating the credentials will not help (RFC 3261 §21.4.4).`;
    case 404:
      return `404${reason}: the registrar does not know the user of the address-of-record ${call.toUri ?? ''} or does not serve its domain (RFC 3261 §21.4.5). Check the To URI and the account's domain.`;
    case 423: {
      const min = details?.finalMinExpires ?? null;
      const wanted = min === null ? 'a longer expiry (no Min-Expires given)' : `at least ${min} s (Min-Expires)`;
      if (next === NONE) return `423${reason}: the registrar wants ${wanted}, asked for ${requestExpires ?? 'the default'} s; the UA did not retry (RFC 3261 §10.2.8).`;
      const honoured = min !== null && nextExpires !== null && nextExpires >= min;
      return `423${reason}: the registrar wants ${wanted}, asked for ${requestExpires ?? 'the default'} s; the retry (CSeq ${txns.cseq(next)}) asked for ${nextExpires ?? 'the default'} s, which ${honoured ? 'honours' : 'does not honour'} it (RFC 3261 §10.2.8).`;
    }
    case 408:
    case 504:
      return `${status}${reason}: the registrar${status === 504 ? ' waited for a server it needed (e.g. an authentication or user database) and' : ''} gave up in time-out; the registration is not in place. Check the path to the registrar and its back end.`;
    case 500:
    case 503:
      return `${status}${reason}: the registrar ${status === 503 ? 'is overloaded or in maintenance' : 'failed internally'}; ${retryAfterText(details?.finalRetryAfter ?? null)}.`;
    default:
      return `${status}${reason}: the registrar refused the REGISTER.`;
  }
}

function toAttempt(call: CallState, txns: TxnTable, t: number, next: number, challengedBefore: number): RegistrationAttempt {
  const status = finalStatusOf(txns, t);
  const details = txns.detailsOf(t);
  const requestExpires = details?.requestExpires ?? null;
  const final = txns.final(t);
  return {
    cseq: txns.cseq(t),
    request: txns.firstRequest(t),
    final: final === NONE ? null : final,
    finalStatus: status,
    expiresRequested: requestExpires,
    expiresGranted: status !== null && status < 300 ? (details?.finalExpires ?? requestExpires) : null,
    challenged: isChallenge(status),
    realm: details?.challengeRealm ?? null,
    nonce: details?.challengeNonce ?? null,
    hadCredentials: details?.hadCredentials ?? false,
    explanation: attemptExplanation(call, txns, t, next, challengedBefore),
  };
}

export function toRegistration(call: CallState, txns: TxnTable, log: MessageLog, end: number): Registration | null {
  const registers = registerAttempts(call, txns);
  if (registers.length === 0) return null;
  const attempts: RegistrationAttempt[] = [];
  let challengedBefore = NONE;
  for (let i = 0; i < registers.length; i++) {
    const t = registers[i]!;
    attempts.push(toAttempt(call, txns, t, registers[i + 1] ?? NONE, challengedBefore));
    if (isChallenge(finalStatusOf(txns, t))) challengedBefore = t;
  }
  const last = registers[registers.length - 1]!;
  const lastStatus = finalStatusOf(txns, last);
  const lastCseq = txns.cseq(last);
  const lastAttempt = attempts[attempts.length - 1]!;
  let outcome: RegistrationOutcome;
  let expires: number | null = null;
  let explanation: string;
  if (lastStatus === null) {
    outcome = isTimedOut(txns, last, log, end) ? 'no-final-response' : 'pending';
    explanation =
      outcome === 'pending'
        ? `The last REGISTER (CSeq ${lastCseq}) was still waiting for its answer when the capture ended.`
        : `The last REGISTER (CSeq ${lastCseq}) got no final response: the registrar is unreachable or does not answer (RFC 3261 §17.1.2.2, Timer F).`;
  } else if (lastStatus < 300) {
    outcome = lastAttempt.expiresRequested === 0 ? 'unregistered' : 'registered';
    expires = outcome === 'unregistered' ? 0 : lastAttempt.expiresGranted;
    explanation =
      outcome === 'unregistered'
        ? `The binding was removed: REGISTER CSeq ${lastCseq} with expiry 0 was answered ${lastStatus}.`
        : `Registered: the registrar accepted CSeq ${lastCseq}${expires !== null ? ` for ${expires} s` : ''}.`;
  } else {
    outcome = 'failed';
    explanation = lastAttempt.explanation ?? `The registrar answered ${lastStatus}.`;
  }
  let contact: string | null = null;
  for (const t of registers) contact = txns.detailsOf(t)?.contact ?? contact;
  return {
    callId: call.callId,
    aor: call.toUri,
    contact,
    attempts,
    challenges: attempts.filter((a) => a.challenged).length,
    outcome,
    finalStatus: lastStatus,
    expires,
    explanation,
  };
}
