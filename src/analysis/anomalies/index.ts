// The anomaly catalogue: every rule family, run in a fixed order on each settled call.
// Families that explain retransmissions run before the generic retransmission note, which
// skips what they already explained. Anomaly ids follow the catalogue's order across the
// whole capture: every finding of a rule before those of the next, and within a rule in the
// order of its subjects (transactions, dialogs, calls or messages).
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

export type { AnomalyKind, Finding, RuleContext, RuleThresholds } from './types.js';
export { malformedMessage, oversizedWithoutCall } from './transport.js';

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

const RULES = FAMILIES.flatMap((f) => f.rules);

/** Rule numbers of the findings made outside a settled call: oversized and malformed messages without one. */
export const OVERSIZED_RULE = RULES.indexOf(transportRules.rules[0]!);
export const MALFORMED_RULE = RULES.indexOf(transportRules.rules[1]!);

/** Every kind the analyzer can raise, by name. */
export const ANOMALY_KINDS: ReadonlyMap<string, AnomalyKind> = new Map(FAMILIES.flatMap((f) => f.kinds.map((k) => [k.kind, k] as const)));

/** Runs every rule on one call; `report` gets each finding with the number of its rule. */
export function detectAnomalies(ctx: RuleContext, report: (rule: number, finding: Finding) => void): void {
  for (let rule = 0; rule < RULES.length; rule++) RULES[rule]!(ctx, (f) => report(rule, f));
}
