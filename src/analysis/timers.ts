// RFC 3261 timer values (§17, table 4; UDP defaults) and the rule that says when a
// transaction without a final response has timed out as far as the capture can tell.

/** Round-trip estimate, RFC 3261 §17.1.1.1. */
export const T1 = 0.5;
/** Maximum time a message stays in the network. */
export const T4 = 5;
/** Timer B / F / H and the 2xx retransmission limit of §13.3.1.4. */
export const TIMEOUT_64T1 = 64 * T1;
/** Timer C (§16.6): how long an INVITE that got a provisional may ring before it counts as timed out. */
export const TIMER_C = 180;
/**
 * A client that kept retransmitting for three quarters of 64*T1 is judged timed out even when
 * the capture stops just before Timer B / F fires: Timer A / E copies stop at 31.5 s, so the
 * last copy on the wire is all a capture may show of the timeout.
 */
export const RETRANSMITTING_FOR = 0.75 * TIMEOUT_64T1;

/**
 * Whether `elapsed` seconds reach `limit`, to the microsecond: times are differences of
 * epoch-sized values, and a capture that runs on exactly 32 s must count as 32 s.
 */
export function reached(elapsed: number, limit: number): boolean {
  return elapsed >= limit - 1e-6;
}

/**
 * Whether a request that never got a final response has timed out: the capture ran on for
 * 64*T1 after it (Timer B / F), or 3 minutes when an INVITE got a provisional (Timer C), or
 * the client itself kept retransmitting for at least 24 s.
 */
export function hasTimedOut(firstCopy: number, lastCopy: number, captureEnd: number, inviteWithProvisional: boolean): boolean {
  if (reached(captureEnd - firstCopy, inviteWithProvisional ? TIMER_C : TIMEOUT_64T1)) return true;
  return !inviteWithProvisional && reached(lastCopy - firstCopy, RETRANSMITTING_FOR);
}

/**
 * Timer D (INVITE, non-2xx) and Timer K (non-INVITE): how long a client transaction stays
 * in Completed after its final response, absorbing retransmissions; zero on reliable transports.
 */
export function completedLingers(invite: boolean, reliable: boolean): number {
  if (reliable) return 0;
  return invite ? TIMEOUT_64T1 : T4;
}
