// What the analysis hands out as it goes: each call once it is settled (with its transactions,
// dialogs and registration), each anomaly as it is found, and at the end what only the whole
// capture decides (anomaly ids, the calls' anomaly lists, legs, statistics). A sink may store
// them at once (the server) or collect them into one Analysis (AnalysisCollector).
import type { Analysis, Anomaly, Call, CallLegLink, Dialog, Registration, SipStats, Transaction } from '../model.js';
import { NONE } from './message-log.js';

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

/** Field count of a message's place in PlaceColumns: transaction, dialog, retransmissionOf. */
const PLACE_FIELDS = 3;
/** Messages per page of PlaceColumns (a power of two). */
const PLACE_PAGE_SHIFT = 12;
const PLACE_PAGE_MASK = (1 << PLACE_PAGE_SHIFT) - 1;

/**
 * Each message's place as three numbers (NONE for null), until the end turns them into the
 * Analysis's objects: a capture's worth of small objects would otherwise live through the
 * whole analysis, copied by every garbage collection. Pages are added, never replaced.
 */
class PlaceColumns {
  private readonly pages: Int32Array[] = [];
  /** One past the highest message id placed. */
  private length = 0;

  set(id: number, transaction: number, dialog: number, retransmissionOf: number): void {
    const n = id >>> PLACE_PAGE_SHIFT;
    while (this.pages.length <= n) this.pages.push(new Int32Array(PLACE_FIELDS << PLACE_PAGE_SHIFT).fill(NONE));
    const page = this.pages[n]!;
    const at = (id & PLACE_PAGE_MASK) * PLACE_FIELDS;
    page[at] = transaction;
    page[at + 1] = dialog;
    page[at + 2] = retransmissionOf;
    if (id >= this.length) this.length = id + 1;
  }

  links(): MessageLink[] {
    const links: MessageLink[] = [];
    for (let id = 0; id < this.length; id++) {
      const page = this.pages[id >>> PLACE_PAGE_SHIFT]!;
      const at = (id & PLACE_PAGE_MASK) * PLACE_FIELDS;
      const transaction = page[at]!;
      const dialog = page[at + 1]!;
      const first = page[at + 2]!;
      links.push({ transaction: transaction === NONE ? null : transaction, dialog: dialog === NONE ? null : dialog, retransmissionOf: first === NONE ? null : first });
    }
    return links;
  }
}

/** The anomalies (by provisional id) under their final ids, in final order: each object gets its id. */
export function renumberAnomalies(byProvisionalId: Anomaly[], anomalyIds: Int32Array): Anomaly[] {
  const provisionalOf = new Int32Array(byProvisionalId.length);
  anomalyIds.forEach((id, provisional) => (provisionalOf[id] = provisional));
  return Array.from(provisionalOf, (provisional, id) => Object.assign(byProvisionalId[provisional]!, { id }));
}

/** Builds the whole Analysis in memory. */
export class AnalysisCollector implements AnalysisSink {
  private readonly calls: Call[] = [];
  private readonly transactions: Transaction[] = [];
  private readonly dialogs: Dialog[] = [];
  private readonly registrations: { index: number; registration: Registration }[] = [];
  private readonly anomalies: Anomaly[] = [];
  private readonly places = new PlaceColumns();
  private result: Analysis | null = null;

  /** A message's place (StreamingAnalyzer.placed), NONE for none. */
  place(id: number, transaction: number, dialog: number, retransmissionOf: number): void {
    this.places.set(id, transaction, dialog, retransmissionOf);
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
    const anomalies = renumberAnomalies(this.anomalies, e.anomalyIds);
    for (const [index, ids] of e.callAnomalies) this.calls[index]!.anomalies = ids;
    for (const [index, legs] of e.legs) this.calls[index]!.legs = legs;
    this.result = {
      transactions: this.transactions,
      dialogs: this.dialogs,
      calls: this.calls,
      registrations: this.registrations.sort((a, b) => a.index - b.index).map((r) => r.registration),
      anomalies,
      stats: e.stats,
      messageLinks: this.places.links(),
    };
  }

  analysis(): Analysis {
    if (this.result === null) throw new Error('the analysis has not ended');
    return this.result;
  }
}
