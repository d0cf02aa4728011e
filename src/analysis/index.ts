// Analysis of a stream of SIP messages: transactions (RFC 3261 §17), dialogs (§12), calls,
// registrations, call legs, anomalies and sip,stat-like counts. Messages are added in capture
// order; finish() judges timers against the end of the capture and returns the Analysis.
import type { Analysis, Call, Registration, SipMessage, Timestamp } from '../model.js';
import { detectAnomalies } from './anomalies/index.js';
import { toCall } from './calls.js';
import { settleEarlyDialogs, toDialog } from './dialogs.js';
import { linkCallLegs } from './legs.js';
import { toRegistration } from './registrations.js';
import { buildStats } from './stats.js';
import { CallTracker } from './tracker.js';
import { toTransaction } from './transactions.js';

export { ANOMALY_KINDS, type AnomalyKind } from './anomalies/index.js';

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

/**
 * Streaming: add messages in capture order, then finish. Keeps compact per-message records
 * (interned Call-IDs, tags and endpoints; no SipMessage is retained), so memory grows with
 * calls, not bytes.
 */
export class Analyzer {
  private readonly options: typeof DEFAULTS & Pick<AnalyzerOptions, 'legLinkHeader'>;
  private readonly tracker: CallTracker;
  private finished = false;

  constructor(options: AnalyzerOptions = {}) {
    this.options = {
      longPostDialDelaySec: options.longPostDialDelaySec ?? DEFAULTS.longPostDialDelaySec,
      slowTryingMs: options.slowTryingMs ?? DEFAULTS.slowTryingMs,
      retransmissionStormThreshold: options.retransmissionStormThreshold ?? DEFAULTS.retransmissionStormThreshold,
      udpMaxMessageBytes: options.udpMaxMessageBytes ?? DEFAULTS.udpMaxMessageBytes,
      legGuessWindowSec: options.legGuessWindowSec ?? DEFAULTS.legGuessWindowSec,
      legLinkHeader: options.legLinkHeader,
    };
    this.tracker = new CallTracker(this.options.udpMaxMessageBytes);
  }

  add(m: SipMessage): void {
    if (this.finished) throw new Error('Analyzer.add after finish');
    this.tracker.add(m);
  }

  /** Judges timeouts against `captureEnd` (the capture's last packet; null: the last message). */
  finish(captureEnd: Timestamp | null): Analysis {
    this.finished = true;
    const { tracker, options } = this;
    const log = tracker.log;
    const end = captureEnd === null ? log.latest : Math.max(log.latest, log.secondsOf(captureEnd));

    settleEarlyDialogs(tracker.txns, log, end);
    const transactions = tracker.txns.map((t) => toTransaction(t, log, end));
    const dialogs = tracker.dialogs.map(toDialog);
    const calls: Call[] = tracker.calls.map((c) => toCall(c, log, end));
    const registrationByCall = new Map<number, Registration>();
    const registrations: Registration[] = [];
    for (const call of tracker.calls) {
      const r = toRegistration(call, log, end);
      if (r === null) continue;
      registrationByCall.set(call.index, r);
      registrations.push(r);
    }

    const anomalies = detectAnomalies({
      calls: tracker.calls,
      callSummaries: calls,
      txns: tracker.txns,
      dialogs: tracker.dialogs,
      registrations: registrationByCall,
      malformed: tracker.malformed,
      oversizedWithoutCall: tracker.oversizedWithoutCall,
      log,
      end,
      thresholds: options,
      explained: new Set(),
    });
    const callIndex = new Map(tracker.calls.map((c) => [c.callId, c.index] as const));
    for (const a of anomalies) {
      if (a.callId === null) continue;
      calls[callIndex.get(a.callId)!]!.anomalies.push(a.id);
    }
    linkCallLegs(tracker.calls, calls, log, options);

    const messageLinks = tracker.links;
    for (let id = 0; id < messageLinks.length; id++) {
      messageLinks[id] ??= { transaction: null, dialog: null, retransmissionOf: null };
    }
    return {
      transactions,
      dialogs,
      calls,
      registrations,
      anomalies,
      stats: buildStats(tracker.requestCounts, tracker.responseCounts, tracker.retransmissions, calls),
      messageLinks,
    };
  }
}

export function analyzeMessages(messages: SipMessage[], captureEnd: Timestamp | null, options?: AnalyzerOptions): Analysis {
  const analyzer = new Analyzer(options);
  for (const m of messages) analyzer.add(m);
  return analyzer.finish(captureEnd);
}
