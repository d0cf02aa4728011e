// What every anomaly rule family shares: the kinds it raises (stable names, severity, title,
// reference) and the context a rule reads when the capture has ended.
import type { Call, Registration, Severity } from '../../model.js';
import { responseCopies } from '../lists.js';
import { NONE, type MessageLog } from '../message-log.js';
import type { CallState, DialogTable, TxnTable } from '../state.js';
import { finalStatusOf } from '../transactions.js';
import { clockTime } from '../wording.js';

export interface AnomalyKind {
  /** Stable name, part of the JSON contract. */
  kind: string;
  severity: Severity;
  title: string;
  /** Where the rule comes from, e.g. "RFC 3261 §13.3.1.4". */
  reference: string;
}

export interface Finding {
  kind: AnomalyKind;
  callId: string | null;
  /** Message ids the anomaly points at, the most telling first. */
  messages: number[];
  /** One paragraph: what happened in this capture, why it matters, what to check. */
  explanation: string;
  /**
   * What the rule walks by: the id of the transaction, dialog or message, or the index of the
   * call, the finding is about. Orders the findings of one rule across the capture.
   */
  subject: number;
}

export interface RuleThresholds {
  longPostDialDelaySec: number;
  slowTryingMs: number;
  retransmissionStormThreshold: number;
  udpMaxMessageBytes: number;
}

/** One settled call, as every rule sees it. */
export interface RuleContext {
  readonly call: CallState;
  /** Its transactions and dialogs (slots of these tables), oldest first. */
  readonly txns: readonly number[];
  readonly dialogs: readonly number[];
  readonly txnTable: TxnTable;
  readonly dialogTable: DialogTable;
  /** The call as reported. */
  readonly summary: Call;
  /** Its registration, for a REGISTER call. */
  readonly registration: Registration | null;
  readonly log: MessageLog;
  /** Capture end on the log's time base. */
  readonly end: number;
  readonly thresholds: RuleThresholds;
  /** Transactions whose retransmissions a finding already explains (the generic retransmission note skips them). */
  readonly explained: Set<number>;
}

export type Rule = (ctx: RuleContext, report: (finding: Finding) => void) => void;

/** A rule and the facts of a call (facts.ts) it looks for: it runs only on calls with one of them. */
export interface GatedRule {
  when: number;
  run: Rule;
}

/** A rule family: its kinds and its rules, run in order. */
export interface RuleFamily {
  kinds: readonly AnomalyKind[];
  rules: readonly GatedRule[];
}

/** "INVITE at 14:03:52.227" / "200 at 14:03:53.001". */
export function at(log: MessageLog, id: number): string {
  return `${log.label(id)} at ${clockTime(log.timestamp(id))}`;
}

/** "14:03:52.227". */
export function clockOf(log: MessageLog, id: number): string {
  return clockTime(log.timestamp(id));
}

/** A response and its retransmissions, given its first copy. */
export function copiesOf(log: MessageLog, txns: TxnTable, t: number, responseId: number): number[] {
  return responseCopies(txns, t, log).find((c) => c.ids[0] === responseId)?.ids ?? [responseId];
}

/** "INVITE (CSeq 1)". */
export function requestName(log: MessageLog, txns: TxnTable, t: number): string {
  return `${log.methodName(txns.method(t))} (CSeq ${txns.cseqSeq(t) ?? txns.cseq(t)})`;
}

/** "200 OK". */
export function finalName(txns: TxnTable, t: number): string {
  const reason = txns.finalReason(t);
  const status = finalStatusOf(txns, t);
  return reason ? `${status} ${reason}` : String(status);
}
