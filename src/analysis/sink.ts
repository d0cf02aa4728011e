// What the analysis hands out as it goes: each call once it is settled (with its transactions,
// dialogs and registration), each anomaly as it is found, and at the end what only the whole
// capture decides (anomaly ids, the calls' anomaly lists, legs, statistics). A sink may store
// them at once (the server) or collect them into one Analysis (AnalysisCollector).
import type { Analysis, Anomaly, Call, CallLegLink, Dialog, Registration, SipStats, Transaction } from '../model.js';

/** A message's place in the analysis, known once the message has been added. */
export interface MessageLink {
  transaction: number | null;
  dialog: number | null;
  retransmissionOf: number | null;
}

/** A settled call and everything that belongs to it alone. Its `anomalies` and `legs` are still empty. */
export interface CallResult {
  /** The call's index: its place among the calls, in order of their first messages. */
  index: number;
  call: Call;
  transactions: Transaction[];
  dialogs: Dialog[];
  registration: Registration | null;
  /** The kinds of the call's anomalies, each once, in the order of their ids. */
  anomalyKinds: string[];
  /** The methods of its requests and the status codes of its responses, each once (for filters). */
  methods: string[];
  statuses: number[];
}

/** What the end of the capture decides. */
export interface AnalysisEnd {
  /** The id of each anomaly, by its provisional id (the order it was emitted in). */
  anomalyIds: Int32Array;
  /** The anomaly ids of each call that has any, by call index, ascending. */
  callAnomalies: ReadonlyMap<number, number[]>;
  /** The legs of each linked call, by call index. */
  legs: ReadonlyMap<number, CallLegLink[]>;
  stats: SipStats;
}

export interface AnalysisSink {
  call(result: CallResult): void;
  /** A finding; its `id` is provisional (0, 1, 2 ... in emission order) until AnalysisEnd.anomalyIds. */
  anomaly(anomaly: Anomaly): void;
  end(end: AnalysisEnd): void;
}

/** Builds the whole Analysis in memory. */
export class AnalysisCollector implements AnalysisSink {
  private readonly calls: Call[] = [];
  private readonly transactions: Transaction[] = [];
  private readonly dialogs: Dialog[] = [];
  private readonly registrations: { index: number; registration: Registration }[] = [];
  private readonly anomalies: Anomaly[] = [];
  private readonly links: MessageLink[] = [];
  private result: Analysis | null = null;

  link(id: number, link: MessageLink): void {
    this.links[id] = link;
  }

  call(r: CallResult): void {
    this.calls[r.index] = r.call;
    for (const t of r.transactions) this.transactions[t.id] = t;
    for (const d of r.dialogs) this.dialogs[d.id] = d;
    if (r.registration !== null) this.registrations.push({ index: r.index, registration: r.registration });
  }

  anomaly(a: Anomaly): void {
    this.anomalies[a.id] = a;
  }

  end(e: AnalysisEnd): void {
    const provisionalOf = new Int32Array(this.anomalies.length);
    e.anomalyIds.forEach((id, provisional) => (provisionalOf[id] = provisional));
    const anomalies = Array.from(provisionalOf, (provisional, id) => Object.assign(this.anomalies[provisional]!, { id }));
    for (const [index, ids] of e.callAnomalies) this.calls[index]!.anomalies = ids;
    for (const [index, legs] of e.legs) this.calls[index]!.legs = legs;
    const links = this.links;
    for (let id = 0; id < links.length; id++) links[id] ??= { transaction: null, dialog: null, retransmissionOf: null };
    this.result = {
      transactions: this.transactions,
      dialogs: this.dialogs,
      calls: this.calls,
      registrations: this.registrations.sort((a, b) => a.index - b.index).map((r) => r.registration),
      anomalies,
      stats: e.stats,
      messageLinks: links,
    };
  }

  analysis(): Analysis {
    if (this.result === null) throw new Error('the analysis has not ended');
    return this.result;
  }
}
