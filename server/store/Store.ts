// The storage boundary of the server. Routes, the analysis queue and the workers talk to
// these two interfaces only, so a PostgreSQL + object storage implementation can replace
// the SQLite + local files one (SqliteStore, FileBlobStore) without touching them.
//
// Every method is asynchronous even though SQLite answers synchronously: a networked
// database would not.
import type { Readable } from 'node:stream';
import type { AnalysisEnd, CallResult, MessageLink } from '../../src/analysis/index.js';
import type {
  Anomaly, Call, CallOutcome, CaptureInfo, DecodeWarning, Dialog, Registration, SipMessage, SipStats, Transaction,
} from '../../src/model.js';
import type { Identities } from '../../src/views/anonymize.js';

export type CaptureStatus = 'analyzing' | 'ready' | 'failed';

/** The file-level facts of a capture, known once it has been decoded. */
export interface CaptureFileInfo {
  name: string;
  format: CaptureInfo['format'];
  compression: CaptureInfo['compression'];
  linkTypes: number[];
  packets: number;
  bytes: number;
}

/** One capture row as listed. */
export interface CaptureRecord {
  id: number;
  name: string;
  size: number;
  sha256: string;
  status: CaptureStatus;
  error: string | null;
  createdAt: string;
  /** Analysis runs started for this capture (a restart that finds it 'analyzing' counts one more). */
  attempts: number;
  firstTime: string | null;
  lastTime: string | null;
  packets: number | null;
  messages: number | null;
  calls: number | null;
  registrations: number | null;
  anomalies: { info: number; warning: number; error: number };
  /**
   * How far the message text index reaches: messages whose id is below this are in it. It is
   * built after the analysis (the capture is ready without waiting for it), and is complete
   * once this equals `messages`.
   */
  textIndexed: number;
}

export interface CaptureDetail extends CaptureRecord {
  file: CaptureFileInfo | null;
  stats: SipStats | null;
  warnings: DecodeWarning[];
}

/** A message with its place in the analysis (Analysis.messageLinks of its id). */
export type LinkedMessage = SipMessage & { transaction: number | null; dialog: number | null; retransmissionOf: number | null };

export interface StoredMessage {
  message: LinkedMessage;
  /** The bytes exactly as captured. */
  raw: Buffer;
}

/** A call as listed: the Call without its id arrays, with their sizes and the anomaly kinds. */
export type CallRow = Omit<Call, 'messages' | 'transactions' | 'dialogs'> & { messageCount: number; anomalyKinds: string[] };

/** The name a party is listed and sorted by ('caller' / 'callee' sorts): user part, else display name, else URI. */
export function partyName(p: Call['caller']): string {
  return p.user ?? p.display ?? p.uri ?? '';
}

export const CALL_SORT_KEYS = ['startTime', 'duration', 'postDialDelay', 'messages', 'caller', 'callee', 'outcome', 'finalStatus'] as const;
export type CallSortKey = (typeof CALL_SORT_KEYS)[number];

export interface CallFilter {
  outcome?: CallOutcome;
  kind?: Call['kind'];
  /** An anomaly kind the call must have. */
  anomaly?: string;
  /** A method some message of the call carries. */
  method?: string;
  /** A status code some response of the call carries. */
  status?: number;
  /** Substring of the caller's or the callee's user part. */
  user?: string;
  /** Substring of the Call-ID. */
  callId?: string;
  /** Start time bounds, epoch seconds. */
  from?: number;
  to?: number;
  /** Substring of caller, callee (user, display name or URI) or Call-ID. */
  q?: string;
  /** Only these Call-IDs (a share's scope). */
  callIds?: readonly string[];
}

export interface CallQuery extends CallFilter {
  offset: number;
  limit: number;
  sort: CallSortKey;
  descending: boolean;
}

/** The text fields of a call, for filters that cannot run in the database (anonymised shares). */
export interface CallParties {
  callId: string;
  caller: Call['caller'];
  callee: Call['callee'];
}

export interface SearchHit {
  message: number;
  callId: string | null;
  frame: number;
  time: string;
  label: string;
  snippet: string;
}

export interface ShareRecord {
  /** sha256 of the token: the token itself is never stored. */
  tokenHash: string;
  captureId: number;
  /** null: the whole capture. */
  callIds: string[] | null;
  messageId: number | null;
  anonymize: boolean;
  /** Key of the share's pseudonyms (HMAC), never sent to a client. */
  secret: Buffer;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

/** A decoded message with its bytes and its place in the analysis. */
export interface MessageToStore {
  message: SipMessage;
  raw: Buffer;
  link: MessageLink;
}

/** A step of building a capture's message text index. */
export interface TextIndexStep {
  /** Messages whose id is below this are indexed. */
  indexed: number;
  /** Whether every message of the capture is indexed now. */
  complete: boolean;
}

/** The file-level facts the worker writes when decoding and analysis are done. */
export interface AnalysisSummary {
  file: CaptureFileInfo;
  warnings: DecodeWarning[];
  firstTime: string | null;
  lastTime: string | null;
  messages: number;
  /** User parts and display names seen in the capture. */
  identities: Identities;
}

/**
 * Writes one analysis while the capture is decoded: messages, settled calls (with their
 * transactions, dialogs and registrations) and anomalies arrive in batches, anomalies under
 * provisional ids. `finish` applies what only the end of the capture decides (anomaly ids,
 * the calls' anomaly lists and legs, statistics) and makes the capture 'ready' atomically.
 * Until then the capture stays 'analyzing' and nothing of it is served.
 */
export interface AnalysisWriter {
  addMessages(batch: readonly MessageToStore[]): Promise<void>;
  addCalls(calls: readonly CallResult[]): Promise<void>;
  addAnomalies(anomalies: readonly Anomaly[]): Promise<void>;
  finish(summary: AnalysisSummary, end: AnalysisEnd): Promise<void>;
}

export interface Store {
  /**
   * Creates a capture in 'analyzing' state for a file already in the blob store, unless one
   * already has these bytes (same sha256): then that one is returned and `created` is false.
   */
  addCapture(input: { name: string; size: number; sha256: string }): Promise<{ capture: CaptureRecord; created: boolean }>;
  capture(id: number): Promise<CaptureDetail | null>;
  captureBySha256(sha256: string): Promise<CaptureRecord | null>;
  /** Newest first. */
  listCaptures(): Promise<CaptureRecord[]>;
  /** Captures left 'analyzing' (by a crash or a stop). */
  interruptedCaptures(): Promise<CaptureRecord[]>;
  /** Removes the capture with its analysis, aliases and shares; true when it existed. */
  deleteCapture(id: number): Promise<boolean>;
  /** Whether some capture still refers to this file. */
  isFileReferenced(sha256: string): Promise<boolean>;

  /** Sets 'analyzing' for a fresh analysis (a retry): no error, no attempts yet. */
  queueAnalysis(id: number): Promise<void>;
  /** Drops any partial analysis, counts an attempt and sets 'analyzing' (a worker starts). */
  beginAnalysis(id: number): Promise<void>;
  /** Opens the writer for a capture whose analysis has begun. */
  analysisWriter(id: number): AnalysisWriter;
  /** Drops any partial analysis and sets 'failed' with the reason. */
  failAnalysis(id: number, reason: string): Promise<void>;
  /** The ids of the ready captures whose message text index is not complete (a stop cut its building off). */
  capturesToIndex(): Promise<number[]>;
  /**
   * Adds the text of up to `count` more messages of a ready capture to the index and moves its
   * watermark past them, atomically; null when the capture is gone or not ready.
   */
  indexMessageText(captureId: number, count: number): Promise<TextIndexStep | null>;

  aliases(captureId: number): Promise<Record<string, string>>;
  setAliases(captureId: number, aliases: Record<string, string>): Promise<void>;

  queryCalls(captureId: number, query: CallQuery): Promise<{ total: number; items: CallRow[] }>;
  /** Caller, callee and Call-ID of every call matching the filter, in `sort` order. */
  callParties(captureId: number, filter: CallFilter, sort: CallSortKey, descending: boolean): Promise<CallParties[]>;
  call(captureId: number, callId: string): Promise<Call | null>;
  calls(captureId: number, callIds: readonly string[]): Promise<Call[]>;
  /** Every Call-ID of the capture, in call order. */
  callIds(captureId: number): Promise<string[]>;
  /** Messages by id, in id order; unknown ids are skipped. */
  messages(captureId: number, ids: readonly number[]): Promise<LinkedMessage[]>;
  message(captureId: number, id: number): Promise<StoredMessage | null>;
  /** Every message with its bytes, in capture order, optionally only those of some calls. */
  eachMessage(captureId: number, callIds: readonly string[] | null): AsyncIterable<StoredMessage>;
  /**
   * Case-insensitive substring search (at least 3 characters) over every message's raw text:
   * through the text index as far as it reaches, by reading the messages beyond it.
   */
  searchMessages(captureId: number, text: string, limit: number, callIds: readonly string[] | null): Promise<{ total: number; items: SearchHit[] }>;
  transactions(captureId: number, ids: readonly number[]): Promise<Transaction[]>;
  dialogs(captureId: number, ids: readonly number[]): Promise<Dialog[]>;
  /** Anomalies of the capture, or only those of some calls. */
  anomalies(captureId: number, callIds: readonly string[] | null): Promise<Anomaly[]>;
  registrations(captureId: number, callIds: readonly string[] | null): Promise<Registration[]>;
  /** The user parts and display names of a ready capture. */
  identities(captureId: number): Promise<Identities>;

  createShare(share: ShareRecord): Promise<void>;
  share(tokenHash: string): Promise<ShareRecord | null>;
  /** True when a live share was revoked. */
  revokeShare(tokenHash: string, at: string): Promise<boolean>;

  close(): Promise<void>;
}

/** A file being received: written to a private temporary place until committed. */
export interface BlobUpload {
  write(chunk: Buffer): Promise<void>;
  /** Makes the bytes durable and stores them under their sha256; a second copy of the same bytes is dropped. */
  commit(sha256: string): Promise<void>;
  /** Deletes the temporary bytes. */
  abort(): Promise<void>;
}

/** Capture files, addressed by the sha256 the server computed (never by a client's name). */
export interface BlobStore {
  createUpload(): Promise<BlobUpload>;
  has(sha256: string): Promise<boolean>;
  open(sha256: string): Readable;
  delete(sha256: string): Promise<void>;
  /** Removes temporary files left by an interrupted upload. */
  cleanTemporary(): Promise<void>;
}

/** Indexes a ready capture's message text to the end, `batchMessages` per transaction (Store.indexMessageText). */
export async function completeTextIndex(store: Store, captureId: number, batchMessages: number): Promise<void> {
  for (;;) {
    const step = await store.indexMessageText(captureId, batchMessages);
    if (step === null || step.complete) return;
  }
}

/**
 * Whether a text is long enough to be searched: three characters (code points, an emoji is one),
 * as the trigram indexes need; the API refuses shorter ones, and the store finds nothing for them.
 */
export function isSearchable(text: string): boolean {
  return [...text].length >= 3;
}
