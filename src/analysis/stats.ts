// Capture-wide counts in the manner of `tshark -z sip,stat`: requests per method and responses
// per status code (every copy on the wire), retransmissions, call outcomes and the ASR.
import type { Call, CallOutcome, SipStats } from '../model.js';

/** Outcomes of INVITE calls, counted as calls are settled (in any order). */
export class OutcomeTally {
  /** Count and the lowest call index of each outcome: outcomes are listed in the order calls first reach them. */
  private readonly outcomes = new Map<CallOutcome, { count: number; firstCall: number }>();
  private concluded = 0;
  private answered = 0;

  add(index: number, c: Call): void {
    if (c.kind !== 'call' || c.outcome === null) return;
    const known = this.outcomes.get(c.outcome);
    if (known === undefined) this.outcomes.set(c.outcome, { count: 1, firstCall: index });
    else {
      known.count++;
      known.firstCall = Math.min(known.firstCall, index);
    }
    // the ASR counts the answered among those with a concluded outcome
    if (c.outcome === 'pending') return;
    this.concluded++;
    if (c.outcome === 'completed' || c.outcome === 'answered') this.answered++;
  }

  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [outcome, { count }] of [...this.outcomes].sort((a, b) => a[1].firstCall - b[1].firstCall)) out[outcome] = count;
    return out;
  }

  asr(): number | null {
    return this.concluded === 0 ? null : this.answered / this.concluded;
  }
}

export function buildStats(
  requestCounts: ReadonlyMap<string, number>,
  responseCounts: ReadonlyMap<number, number>,
  retransmissions: number,
  outcomes: OutcomeTally,
): SipStats {
  const requests: Record<string, number> = {};
  for (const [method, n] of requestCounts) requests[method] = n;
  const responses: Record<string, number> = {};
  for (const [status, n] of [...responseCounts].sort((a, b) => a[0] - b[0])) responses[String(status)] = n;
  return {
    requests,
    responses,
    retransmissions,
    outcomes: outcomes.counts(),
    asr: outcomes.asr(),
  };
}
