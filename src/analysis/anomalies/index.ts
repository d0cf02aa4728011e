// The anomaly catalogue: every rule family, run in a fixed order on each settled call.
// Families that explain retransmissions run before the generic retransmission note, which
// skips what they already explained. Anomaly ids follow the catalogue's order across the
// whole capture: every finding of a rule before those of the next, and within a rule in the
// order of its subjects (transactions, dialogs, calls or messages).
import { callDialogs, callTxns } from '../lists.js';
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
import { callFacts } from './facts.js';
import type { AnomalyKind, Finding, RuleContext, RuleFamily, RuleThresholds } from './types.js';

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

/** The facts of a call that some rule looks for. */
const ANY_FACT = RULES.reduce((facts, rule) => facts | rule.when, 0);

/** Every kind the analyzer can raise, by name. */
export const ANOMALY_KINDS: ReadonlyMap<string, AnomalyKind> = new Map(FAMILIES.flatMap((f) => f.kinds.map((k) => [k.kind, k] as const)));

/** A settled call as the detector gets it: the rule context but for what the detector supplies. */
export type SettledCall = Omit<RuleContext, 'txns' | 'dialogs' | 'thresholds' | 'explained'>;

/**
 * Runs the rules on each settled call, those whose facts the call has; the sink gets each
 * finding with the number of its rule. One reporting function serves every rule and call (no
 * closure per rule and call).
 */
export class AnomalyDetector {
  private rule = 0;
  private readonly explained = new Set<number>();
  private readonly report = (finding: Finding): void => this.sink(this.rule, finding);

  constructor(
    private readonly thresholds: RuleThresholds,
    private readonly sink: (rule: number, finding: Finding) => void,
  ) {}

  detect(settled: SettledCall): void {
    const { call, txnTable, dialogTable } = settled;
    const facts = callFacts(call, txnTable, dialogTable, settled.summary, settled.registration, settled.log, this.thresholds);
    if ((facts & ANY_FACT) === 0) return;
    this.explained.clear();
    const ctx: RuleContext = {
      call,
      txns: callTxns(call, txnTable),
      dialogs: callDialogs(call, dialogTable),
      txnTable,
      dialogTable,
      summary: settled.summary,
      registration: settled.registration,
      log: settled.log,
      end: settled.end,
      thresholds: this.thresholds,
      explained: this.explained,
    };
    for (let rule = 0; rule < RULES.length; rule++) {
      if ((RULES[rule]!.when & facts) === 0) continue;
      this.rule = rule;
      RULES[rule]!.run(ctx, this.report);
    }
  }
}
