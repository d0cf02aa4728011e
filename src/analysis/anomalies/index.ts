// The anomaly catalogue: every rule family, run in a fixed order when the capture has ended.
// Families that explain retransmissions run before the generic retransmission note, which
// skips what they already explained.
import type { Anomaly } from '../../model.js';
import { ackRules } from './acks.js';
import { authRules } from './auth.js';
import { dialogErrorRules } from './dialog-errors.js';
import { overloadRules } from './overload.js';
import { registrationRules } from './registration.js';
import { reliableProvisionalRules } from './reliable-provisional.js';
import { retransmissionRules } from './retransmissions.js';
import { sessionTimerRules } from './session-timer.js';
import { timeoutRules } from './timeouts.js';
import { timingRules } from './timing.js';
import { transportRules } from './transport.js';
import type { AnomalyKind, Finding, RuleContext, RuleFamily } from './types.js';

export type { AnomalyKind, RuleContext, RuleThresholds } from './types.js';

const FAMILIES: readonly RuleFamily[] = [
  timeoutRules,
  ackRules,
  reliableProvisionalRules,
  overloadRules,
  registrationRules,
  authRules,
  dialogErrorRules,
  timingRules,
  sessionTimerRules,
  transportRules,
  retransmissionRules,
];

/** Every kind the analyzer can raise, by name. */
export const ANOMALY_KINDS: ReadonlyMap<string, AnomalyKind> = new Map(FAMILIES.flatMap((f) => f.kinds.map((k) => [k.kind, k] as const)));

/** Runs every rule; ids are assigned in the order anomalies are found. */
export function detectAnomalies(ctx: RuleContext): Anomaly[] {
  const anomalies: Anomaly[] = [];
  const report = (f: Finding) => {
    anomalies.push({
      id: anomalies.length,
      kind: f.kind.kind,
      severity: f.kind.severity,
      callId: f.callId,
      messages: f.messages,
      title: f.kind.title,
      explanation: f.explanation,
      reference: f.kind.reference,
    });
  };
  for (const family of FAMILIES) for (const rule of family.rules) rule(ctx, report);
  return anomalies;
}
