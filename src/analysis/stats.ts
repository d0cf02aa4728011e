// Capture-wide counts in the manner of `tshark -z sip,stat`: requests per method and responses
// per status code (every copy on the wire), retransmissions, call outcomes and the ASR.
import type { Call, SipStats } from '../model.js';

export function buildStats(
  requestCounts: ReadonlyMap<string, number>,
  responseCounts: ReadonlyMap<number, number>,
  retransmissions: number,
  calls: readonly Call[],
): SipStats {
  const requests: Record<string, number> = {};
  for (const [method, n] of requestCounts) requests[method] = n;
  const responses: Record<string, number> = {};
  for (const [status, n] of [...responseCounts].sort((a, b) => a[0] - b[0])) responses[String(status)] = n;
  // Outcomes of INVITE calls; the ASR counts the answered among those with a concluded outcome.
  const outcomes: Record<string, number> = {};
  let concluded = 0;
  let answered = 0;
  for (const c of calls) {
    if (c.kind !== 'call' || c.outcome === null) continue;
    outcomes[c.outcome] = (outcomes[c.outcome] ?? 0) + 1;
    if (c.outcome === 'pending') continue;
    concluded++;
    if (c.outcome === 'completed' || c.outcome === 'answered') answered++;
  }
  return {
    requests,
    responses,
    retransmissions,
    outcomes,
    asr: concluded === 0 ? null : answered / concluded,
  };
}
