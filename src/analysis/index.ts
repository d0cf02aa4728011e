// Analysis of a stream of SIP messages: transactions (RFC 3261 §17), dialogs (§12), calls,
// registrations, call legs, anomalies and sip,stat-like counts. Messages are added in capture
// order. A call is settled (converted, its anomalies found, its state let go) at the end of
// the capture, or at its last message when a first pass told where calls end (CallEnds);
// timers are judged against the end of the capture either way.
import type { Analysis, Anomaly, Dialog, SipMessage, Timestamp, Transaction } from '../model.js';
import { AnomalyDetector, MALFORMED_RULE, malformedMessage, OVERSIZED_RULE, oversizedWithoutCall, type Finding } from './anomalies/index.js';
import { hasBit, type CallEnds } from './call-ends.js';
import { toCall, type CallIds } from './calls.js';
import { settleEarlyDialogs, toDialog } from './dialogs.js';
import { LegEvidence } from './legs.js';
import { sized, walkCall } from './lists.js';
import { detached, NONE } from './message-log.js';
import { toRegistration } from './registrations.js';
import { AnalysisCollector, type AnalysisSink, type MessageLink } from './sink.js';
import type { CallState } from './state.js';
import { buildStats, OutcomeTally } from './stats.js';
import { CallTracker } from './tracker.js';
import { toTransaction } from './transactions.js';

export { ANOMALY_KINDS, type AnomalyKind } from './anomalies/index.js';
export { CallEndScanner, type CallEnds } from './call-ends.js';
export { AnalysisCollector, type AnalysisEnd, type AnalysisSink, type CallResult, type MessageLink } from './sink.js';

export interface AnalyzerOptions {
  /** Post-dial delay (INVITE to first 180/183) above which long-post-dial-delay is raised. Default 8 s. */
  longPostDialDelaySec?: number;
  /** First answer to an INVITE later than this raises slow-trying (RFC 3261 §17.2.1). Default 200 ms. */
  slowTryingMs?: number;
  /** Retransmissions of one transaction from which retransmission-storm is raised. Default 11: RFC 3261 timers allow at most 10 in 64*T1. */
  retransmissionStormThreshold?: number;
  /** UDP messages above this size raise udp-message-too-large (RFC 3261 §18.1.1). Default 1300 bytes. */
  udpMaxMessageBytes?: number;
  /** Applied to every Call-ID: calls whose first capture group (or whole match) agree are linked as legs of one call. */
  legLinkHeader?: RegExp;
  /** Window for guessing B2BUA legs from caller, callee and media. Default 2 s. */
  legGuessWindowSec?: number;
}

const DEFAULTS = {
  longPostDialDelaySec: 8,
  slowTryingMs: 200,
  retransmissionStormThreshold: 11,
  udpMaxMessageBytes: 1300,
  legGuessWindowSec: 2,
};

type Options = typeof DEFAULTS & Pick<AnalyzerOptions, 'legLinkHeader'>;

/** Anomalies found so far: what orders them (rule, subject, then emission) and their calls. */
class FindingOrder {
  readonly rules: number[] = [];
  readonly subjects: number[] = [];
  readonly calls: number[] = [];

  get count(): number {
    return this.rules.length;
  }

  add(rule: number, subject: number, call: number): number {
    this.calls.push(call);
    this.subjects.push(subject);
    return this.rules.push(rule) - 1;
  }

  /** The final id of each finding by its emission number, and the ids of each call. */
  ids(): { anomalyIds: Int32Array; callAnomalies: Map<number, number[]> } {
    const { rules, subjects, calls } = this;
    const order = Array.from({ length: rules.length }, (_, i) => i);
    order.sort((a, b) => rules[a]! - rules[b]! || subjects[a]! - subjects[b]! || a - b);
    const anomalyIds = new Int32Array(order.length);
    const callAnomalies = new Map<number, number[]>();
    order.forEach((provisional, id) => {
      anomalyIds[provisional] = id;
      const call = calls[provisional]!;
      if (call === NONE) return;
      const ids = callAnomalies.get(call);
      if (ids === undefined) callAnomalies.set(call, [id]);
      else ids.push(id);
    });
    return { anomalyIds, callAnomalies };
  }
}

/**
 * The analysis as a stream: add messages in capture order, then finish; settled calls and
 * anomalies go to the sink. Keeps compact records of the calls not settled yet (interned
 * strings, numbers in typed columns; no SipMessage is retained), so memory grows with those
 * calls, not with bytes.
 */
export class StreamingAnalyzer {
  private readonly options: Options;
  private readonly tracker: CallTracker;
  private readonly legs: LegEvidence;
  private readonly outcomes = new OutcomeTally();
  private readonly findings = new FindingOrder();
  /** The capture end on the log's time base, once known. */
  private end: number | null = null;
  private readonly detector: AnomalyDetector;
  /** The call being settled and the kinds of its anomalies so far. */
  private settling = NONE;
  private settlingKinds: string[] = [];
  /** The place of the message last added (addMessage), NONE for none. */
  readonly placed = { transaction: NONE, dialog: NONE, retransmissionOf: NONE };
  private finished = false;

  constructor(
    private readonly sink: AnalysisSink,
    options: AnalyzerOptions = {},
    /** From a first pass over the same capture: calls are then settled at their last message. */
    private readonly callEnds: CallEnds | null = null,
  ) {
    this.options = {
      longPostDialDelaySec: options.longPostDialDelaySec ?? DEFAULTS.longPostDialDelaySec,
      slowTryingMs: options.slowTryingMs ?? DEFAULTS.slowTryingMs,
      retransmissionStormThreshold: options.retransmissionStormThreshold ?? DEFAULTS.retransmissionStormThreshold,
      udpMaxMessageBytes: options.udpMaxMessageBytes ?? DEFAULTS.udpMaxMessageBytes,
      legGuessWindowSec: options.legGuessWindowSec ?? DEFAULTS.legGuessWindowSec,
      legLinkHeader: options.legLinkHeader,
    };
    this.tracker = new CallTracker(this.options.udpMaxMessageBytes);
    this.legs = new LegEvidence(this.options);
    this.detector = new AnomalyDetector(this.options, (rule, f) => this.found(rule, f));
  }

  /** Calls seen and not settled yet. */
  get liveCalls(): number {
    return this.tracker.live.size;
  }

  /** Adds a message; returns its place in the analysis (final: later messages do not change it). */
  add(m: SipMessage): MessageLink {
    this.addMessage(m);
    const { transaction, dialog, retransmissionOf } = this.placed;
    return {
      transaction: transaction === NONE ? null : transaction,
      dialog: dialog === NONE ? null : dialog,
      retransmissionOf: retransmissionOf === NONE ? null : retransmissionOf,
    };
  }

  /** add() without an object per message: the message's place is left in `placed`. */
  addMessage(m: SipMessage): void {
    if (this.finished) throw new Error('Analyzer.add after finish');
    const { tracker, placed } = this;
    const log = tracker.log;
    const callsBefore = tracker.callCount;
    const call = tracker.add(m);
    if (this.callEnds !== null && call !== null && (tracker.callCount > callsBefore) !== hasBit(this.callEnds.firstOfCall, m.id)) {
      throw new Error(`message ${m.id} does not start or continue its call as the first pass found: the capture changed`);
    }
    if (m.malformed !== null) {
      if (call !== null) (call.more().malformed ??= []).push({ id: m.id, reason: detached(m.malformed) });
      else this.emit(MALFORMED_RULE, malformedMessage(log, m.id, null, m.malformed), NONE);
    }
    placed.transaction = tracker.transaction;
    placed.dialog = tracker.dialog;
    placed.retransmissionOf = log.retransmissionOf(m.id);
    if (call === null) {
      const oversized = tracker.oversizedWithoutCall;
      if (oversized[oversized.length - 1] !== m.id) log.release(m.id);
    } else if (this.callEnds !== null && hasBit(this.callEnds.lastOfCall, m.id)) {
      this.settle(call, this.earlyEnd(this.callEnds));
    }
  }

  /** Judges timeouts against `captureEnd` (the capture's last packet; null: the last message) and settles every call left. */
  finish(captureEnd: Timestamp | null): void {
    if (this.finished) throw new Error('Analyzer.finish called twice');
    this.finished = true;
    const { tracker, options } = this;
    const log = tracker.log;
    const end = captureEnd === null ? log.latest : Math.max(log.latest, log.secondsOf(captureEnd));
    if (this.callEnds !== null) {
      if (tracker.live.size > 0 || (this.end !== null && this.end !== end)) throw new Error('the capture ended otherwise than the first pass found: the capture changed');
    }
    for (const call of tracker.live.values()) this.settle(call, end);
    if (tracker.oversizedWithoutCall.length > 0) {
      this.emit(OVERSIZED_RULE, oversizedWithoutCall(log, options.udpMaxMessageBytes, tracker.oversizedWithoutCall), NONE);
    }
    const { anomalyIds, callAnomalies } = this.findings.ids();
    this.sink.end({
      anomalyIds,
      callAnomalies,
      legs: this.legs.link(),
      stats: buildStats(tracker.requestCounts, tracker.responseCounts, tracker.retransmissions, this.outcomes),
    });
  }

  /** The capture end a first pass announced, on the log's time base. */
  private earlyEnd(callEnds: CallEnds): number {
    if (this.end === null) {
      const log = this.tracker.log;
      this.end = callEnds.end === null ? log.latest : log.secondsOf(callEnds.end);
    }
    return this.end;
  }

  private emit(rule: number, f: Finding, call: number): void {
    const provisional = this.findings.add(rule, f.subject, call);
    const anomaly: Anomaly = {
      id: provisional,
      kind: f.kind.kind,
      severity: f.kind.severity,
      callId: f.callId,
      messages: f.messages,
      title: f.kind.title,
      explanation: f.explanation,
      reference: f.kind.reference,
    };
    this.sink.anomaly(anomaly);
  }

  /** A finding on the call being settled. */
  private found(rule: number, f: Finding): void {
    if (!this.settlingKinds.includes(f.kind.kind)) this.settlingKinds.push(f.kind.kind);
    this.emit(rule, f, this.settling);
  }

  /** Converts a call that will get no more messages, finds its anomalies, and lets go of it. */
  private settle(call: CallState, end: number): void {
    const { tracker } = this;
    const { log, txns, dialogs } = tracker;
    settleEarlyDialogs(call, dialogs, txns, log, end);
    const ids: CallIds = { transactions: sized<number>(call.txnCount), dialogs: sized<number>(call.dialogCount) };
    const transactions = this.transactionsOf(call, ids.transactions, end);
    const dialogList = this.dialogsOf(call, ids.dialogs);
    const walk = walkCall(call, log);
    const summary = toCall(call, txns, ids, walk, log, end);
    const registration = toRegistration(call, txns, log, end);
    const anomalyKinds: string[] = [];
    this.settling = call.index;
    this.settlingKinds = anomalyKinds;
    this.detector.detect({ call, txnTable: txns, dialogTable: dialogs, summary, registration, log, end });
    this.legs.note(call, summary, log);
    this.outcomes.add(call.index, summary);
    this.sink.call({ index: call.index, call: summary, transactions, dialogs: dialogList, registration, anomalyKinds, methods: walk.methods, statuses: walk.statuses });
    tracker.release(call);
  }

  /** The call's transactions as the model reports them, oldest first; their ids go to `ids`. */
  private transactionsOf(call: CallState, ids: number[], end: number): Transaction[] {
    const { log, txns, dialogs } = this.tracker;
    const transactions = sized<Transaction>(call.txnCount);
    let i = 0;
    for (let t = call.firstTxn; t !== NONE; t = txns.next(t), i++) {
      const d = txns.dialog(t);
      const transaction = toTransaction(txns, t, call.callId, d === NONE ? null : dialogs.id(d), log, end);
      transactions[i] = transaction;
      ids[i] = transaction.id;
    }
    return transactions;
  }

  /** The call's dialogs as the model reports them, oldest first; their ids go to `ids`. */
  private dialogsOf(call: CallState, ids: number[]): Dialog[] {
    const { log, dialogs } = this.tracker;
    const list = sized<Dialog>(call.dialogCount);
    let i = 0;
    for (let d = call.firstDialog; d !== NONE; d = dialogs.next(d), i++) {
      const dialog = toDialog(call, dialogs, d, log);
      list[i] = dialog;
      ids[i] = dialog.id;
    }
    return list;
  }
}

/** The whole analysis in memory: add messages in capture order, then finish. */
export class Analyzer {
  private readonly collector = new AnalysisCollector();
  private readonly stream: StreamingAnalyzer;

  constructor(options: AnalyzerOptions = {}, callEnds: CallEnds | null = null) {
    this.stream = new StreamingAnalyzer(this.collector, options, callEnds);
  }

  add(m: SipMessage): void {
    const stream = this.stream;
    stream.addMessage(m);
    const { transaction, dialog, retransmissionOf } = stream.placed;
    this.collector.place(m.id, transaction, dialog, retransmissionOf);
  }

  /** Judges timeouts against `captureEnd` (the capture's last packet; null: the last message) and returns the Analysis. */
  finish(captureEnd: Timestamp | null): Analysis {
    this.stream.finish(captureEnd);
    return this.collector.analysis();
  }
}

export function analyzeMessages(messages: SipMessage[], captureEnd: Timestamp | null, options?: AnalyzerOptions): Analysis {
  const analyzer = new Analyzer(options);
  for (const m of messages) analyzer.add(m);
  return analyzer.finish(captureEnd);
}
