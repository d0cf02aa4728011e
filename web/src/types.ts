// The shapes the REST API answers with (docs/API.md); the analysis types come from src/model.ts.
import type {
  Anomaly, Call, DecodeWarning, Dialog, LadderModel, Registration, SdpSummary, SipMessage, SipStats, Transaction,
} from '../../src/model.js';

export type { Anomaly, Call, Dialog, LadderModel, Registration, SdpSummary, SipMessage, SipStats, Transaction };
export type { LadderArrow, LadderLane, ArrowClass, SdpMedia, RegistrationAttempt, Severity } from '../../src/model.js';

export interface CaptureSummary {
  /** The server's id (an integer today; only ever echoed back). */
  id: number | string;
  name: string;
  size: number;
  sha256: string;
  status: 'uploading' | 'analyzing' | 'ready' | 'failed';
  error: string | null;
  createdAt: string;
  firstTime: string | null;
  lastTime: string | null;
  packets: number;
  messages: number;
  calls: number;
  registrations: number;
  anomalies: { info: number; warning: number; error: number };
  progress: { bytes: number; totalBytes: number; messages: number } | null;
}

export interface CaptureDetail extends CaptureSummary {
  stats?: SipStats;
  warnings?: DecodeWarning[];
  file?: { name: string; format: string; linkTypes: number[]; packets: number; bytes: number };
  aliases?: Record<string, string>;
}

export type CallRow = Omit<Call, 'messages' | 'transactions' | 'dialogs'> & { messageCount: number; anomalyKinds: string[] };

export type LinkedMessage = SipMessage & { transaction: number | null; dialog: number | null; retransmissionOf: number | null };

export interface CallDetail {
  call: Call;
  messages: LinkedMessage[];
  transactions: Transaction[];
  dialogs: Dialog[];
  anomalies: Anomaly[];
}

export interface MessageDetail {
  message: SipMessage;
  raw: string;
  headers: { name: string; value: string }[];
  body: string;
  parts: { contentType: string; body: string }[];
  sdp: SdpSummary | null;
  transaction: Transaction | number | null;
  dialog: Dialog | number | null;
}

export interface SearchHit {
  message: number;
  callId: string | null;
  frame: number;
  time: string;
  label: string;
  snippet: string;
}

export interface ShareView {
  view: { captureId: number | string; callIds: string[]; messageId: number | null; anonymized: boolean };
  capture: CaptureDetail;
}

export interface KnowledgeEntry {
  meaning: string;
  reference: string;
  notes: string | null;
}

/** The knowledge base as the page uses it: by method name, by status code, by class ("4xx"). */
export interface Knowledge {
  methods: Map<string, KnowledgeEntry & { method: string }>;
  responses: Map<number, KnowledgeEntry & { code: number; reason: string }>;
  classes: Map<string, { name: string; meaning: string }>;
}
