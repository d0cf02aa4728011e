// The Store on SQLite (better-sqlite3, WAL). One connection per thread: the main thread
// serves requests, each analysis worker opens its own to write its capture, and the text
// index worker its own to index a ready capture's messages. Writes are short transactions,
// so readers never wait and writers only briefly (busy_timeout).
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { AnalysisEnd, CallResult } from '../../src/analysis/index.js';
import type { Anomaly, Call, Dialog, Registration, Transaction } from '../../src/model.js';
import type { Identities } from '../../src/views/anonymize.js';
import { arrowLabel } from '../../src/views/ladder.js';
import { callConditions, countQuery, type CountedSet, pageQuery, phraseQuery, type Sql } from './call-plan.js';
import { migrate } from './migrations.js';
import { decodeRaw } from './raw-text.js';
import type {
  AnalysisSummary, AnalysisWriter, CallFilter, CallParties, CallQuery, CallRow, CallSortKey, CaptureDetail, CaptureRecord,
  LinkedMessage, MessageToStore, SearchHit, ShareRecord, Store, StoredMessage, TextIndexStep,
} from './Store.js';
import { isSearchable, partyName } from './Store.js';

/** Message rows are keyed capture_id * 2^32 + message id (see the schema). */
const MESSAGE_KEY_SPAN = 2 ** 32;
/** Rows fetched per step when walking a capture's messages. */
const MESSAGE_PAGE = 500;
/**
 * Messages read per step when a search reads the messages the text index does not reach yet:
 * other requests are served between steps (a step takes 5 to 10 ms).
 */
const SCAN_PAGE = 4096;
/** Characters of context on each side of a search hit. */
const SNIPPET_CONTEXT = 60;
/**
 * Bytes per page of a new database (one that exists keeps its own). With SQLite's default of
 * 4 KiB, a call document over 1 KB (most are) spilled out of its WITHOUT ROWID page into an
 * overflow page of its own: the analysis of the 100 MB bench capture stored 674 MB, 118 MB
 * of it for 35 MB of call documents. With 16 KiB it stores 500 MB (37 MB of documents), and
 * took about 1.4 s less system time and 1 to 2 s less CPU.
 */
const PAGE_SIZE = 16 * 1024;
/** How long a connection waits for another thread's write transaction before failing. */
const BUSY_TIMEOUT_MS = 15_000;
/**
 * How rows of a table are found by Call-ID. Named for anomalies: their primary key also starts
 * with capture_id, and without statistics the planner prefers walking it over the call index.
 */
const CALL_INDEX = { anomalies: 'INDEXED BY anomalies_call', registrations: 'INDEXED BY registrations_call' } as const;

interface CaptureRowDb {
  id: number;
  name: string;
  size: number;
  sha256: string;
  status: CaptureRecord['status'];
  error: string | null;
  created_at: string;
  attempts: number;
  first_time: string | null;
  last_time: string | null;
  packets: number | null;
  messages: number | null;
  calls: number | null;
  registrations: number | null;
  anomalies_info: number;
  anomalies_warning: number;
  anomalies_error: number;
  text_indexed: number;
  file_json: string | null;
  stats_json: string | null;
  warnings_json: string | null;
}

interface MessageRowDb {
  head_json: string;
  transaction_id: number | null;
  dialog_id: number | null;
  retransmission_of: number | null;
  raw?: Buffer;
}

const CAPTURE_LIST_COLUMNS = `id, name, size, sha256, status, error, created_at, attempts, first_time, last_time, packets, messages,
  calls, registrations, anomalies_info, anomalies_warning, anomalies_error, text_indexed`;

function toRecord(r: CaptureRowDb): CaptureRecord {
  return {
    id: r.id,
    name: r.name,
    size: r.size,
    sha256: r.sha256,
    status: r.status,
    error: r.error,
    createdAt: r.created_at,
    attempts: r.attempts,
    firstTime: r.first_time,
    lastTime: r.last_time,
    packets: r.packets,
    messages: r.messages,
    calls: r.calls,
    registrations: r.registrations,
    anomalies: { info: r.anomalies_info, warning: r.anomalies_warning, error: r.anomalies_error },
    textIndexed: r.text_indexed,
  };
}

/**
 * The links are set on the parsed object itself: copying it into a new one (a spread) cost as
 * much as the parse, half the time of a 5000-message ladder.
 */
function linkedMessage(r: MessageRowDb): LinkedMessage {
  const m = JSON.parse(r.head_json) as LinkedMessage;
  m.transaction = r.transaction_id;
  m.dialog = r.dialog_id;
  m.retransmissionOf = r.retransmission_of;
  return m;
}

/** A message found by a search, as read from its row. */
interface HitRowDb {
  id: number;
  call_id: string | null;
  frame: number;
  time: string;
  label: string;
  raw: Buffer;
}

const HIT_COLUMNS = 'm.id, m.call_id, m.frame, m.time, m.label, m.raw';

function searchHit(r: HitRowDb, text: string): SearchHit {
  return { message: r.id, callId: r.call_id, frame: r.frame, time: r.time, label: r.label, snippet: snippetAround(decodeRaw(r.raw).text, text) };
}

/**
 * The test a search applies to a message the text index does not reach yet, over `m.raw`
 * and the lower-cased text. It must find what the index finds: FTS5's trigram tokenizer
 * folds case, so a text of ASCII only is looked for in the raw bytes lower-cased by SQLite
 * (ASCII only, byte by byte, whatever the encoding); any other is compared in JavaScript, on
 * the text the index was given (decodeRaw).
 */
function scanTest(lowerText: string): string {
  return /^[\x00-\x7f]*$/.test(lowerText) ? 'instr(lower(CAST(m.raw AS TEXT)), ?) > 0' : 'contains_folded(m.raw, ?)';
}

/** The text around the first case-insensitive occurrence of `needle`, on one line. */
export function snippetAround(text: string, needle: string): string {
  const at = text.toLowerCase().indexOf(needle.toLowerCase());
  const start = Math.max(0, (at < 0 ? 0 : at) - SNIPPET_CONTEXT);
  const end = Math.min(text.length, (at < 0 ? 0 : at + needle.length) + SNIPPET_CONTEXT);
  return (start > 0 ? '…' : '') + text.slice(start, end).replace(/\r?\n/g, ' ⏎ ') + (end < text.length ? '…' : '');
}

export class SqliteStore implements Store {
  private readonly db: SqliteDatabase;
  private readonly statements = new Map<string, Statement>();

  /** Opens (creating and migrating when needed) the database at `path`. */
  constructor(path: string) {
    this.db = new Database(path);
    // Before WAL mode and the schema: the page size of a database can be set only while it is empty.
    this.db.pragma(`page_size = ${PAGE_SIZE}`);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.db.function('contains_folded', { deterministic: true }, (raw, lowerText) =>
      decodeRaw(raw as Buffer).text.toLowerCase().includes(lowerText as string) ? 1 : 0);
    migrate(this.db);
  }

  /** A cached prepared statement. */
  private sql(text: string): Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  private keyRange(captureId: number): [number, number] {
    return [captureId * MESSAGE_KEY_SPAN, (captureId + 1) * MESSAGE_KEY_SPAN - 1];
  }

  async addCapture(input: { name: string; size: number; sha256: string }): Promise<{ capture: CaptureRecord; created: boolean }> {
    return this.db.transaction(() => {
      const existing = this.sql(`SELECT ${CAPTURE_LIST_COLUMNS} FROM captures WHERE sha256 = ? ORDER BY id LIMIT 1`).get(input.sha256) as CaptureRowDb | undefined;
      if (existing) return { capture: toRecord(existing), created: false };
      const row = this.sql(
        `INSERT INTO captures (name, size, sha256, status, created_at) VALUES (?, ?, ?, 'analyzing', ?) RETURNING ${CAPTURE_LIST_COLUMNS}`,
      ).get(input.name, input.size, input.sha256, new Date().toISOString()) as CaptureRowDb;
      return { capture: toRecord(row), created: true };
    }).immediate();
  }

  async capture(id: number): Promise<CaptureDetail | null> {
    const row = this.sql('SELECT * FROM captures WHERE id = ?').get(id) as CaptureRowDb | undefined;
    if (!row) return null;
    return {
      ...toRecord(row),
      file: row.file_json ? JSON.parse(row.file_json) : null,
      stats: row.stats_json ? JSON.parse(row.stats_json) : null,
      warnings: row.warnings_json ? JSON.parse(row.warnings_json) : [],
    };
  }

  async captureBySha256(sha256: string): Promise<CaptureRecord | null> {
    const row = this.sql(`SELECT ${CAPTURE_LIST_COLUMNS} FROM captures WHERE sha256 = ? ORDER BY id LIMIT 1`).get(sha256) as CaptureRowDb | undefined;
    return row ? toRecord(row) : null;
  }

  async listCaptures(): Promise<CaptureRecord[]> {
    return (this.sql(`SELECT ${CAPTURE_LIST_COLUMNS} FROM captures ORDER BY id DESC`).all() as CaptureRowDb[]).map(toRecord);
  }

  async interruptedCaptures(): Promise<CaptureRecord[]> {
    return (this.sql(`SELECT ${CAPTURE_LIST_COLUMNS} FROM captures WHERE status = 'analyzing' ORDER BY id`).all() as CaptureRowDb[]).map(toRecord);
  }

  async deleteCapture(id: number): Promise<boolean> {
    return this.db.transaction(() => {
      this.sql('DELETE FROM messages_fts WHERE rowid BETWEEN ? AND ?').run(...this.keyRange(id));
      return this.sql('DELETE FROM captures WHERE id = ?').run(id).changes > 0;
    })();
  }

  async isFileReferenced(sha256: string): Promise<boolean> {
    return this.sql('SELECT 1 FROM captures WHERE sha256 = ? LIMIT 1').get(sha256) !== undefined;
  }

  /** Removes every analysis row of a capture and its text index (not the capture, its aliases or its shares). */
  private discardAnalysisRows(id: number): void {
    const range = this.keyRange(id);
    this.sql('DELETE FROM messages_fts WHERE rowid BETWEEN ? AND ?').run(...range);
    this.sql('UPDATE captures SET text_indexed = 0 WHERE id = ?').run(id);
    this.sql('DELETE FROM messages WHERE pk BETWEEN ? AND ?').run(...range);
    for (const table of ['calls', 'call_documents', 'call_tags', 'transactions', 'dialogs', 'anomalies', 'registrations']) {
      this.sql(`DELETE FROM ${table} WHERE capture_id = ?`).run(id);
    }
  }

  async queueAnalysis(id: number): Promise<void> {
    this.sql(`UPDATE captures SET status = 'analyzing', error = NULL, attempts = 0 WHERE id = ?`).run(id);
  }

  async beginAnalysis(id: number): Promise<void> {
    this.db.transaction(() => {
      this.discardAnalysisRows(id);
      this.sql(`UPDATE captures SET status = 'analyzing', error = NULL, attempts = attempts + 1 WHERE id = ?`).run(id);
    })();
  }

  async failAnalysis(id: number, reason: string): Promise<void> {
    this.db.transaction(() => {
      this.discardAnalysisRows(id);
      this.sql(`UPDATE captures SET status = 'failed', error = ? WHERE id = ?`).run(reason, id);
    })();
  }

  async capturesToIndex(): Promise<number[]> {
    return (this.sql(`SELECT id FROM captures WHERE status = 'ready' AND text_indexed < messages ORDER BY id`).pluck().all() as number[]);
  }

  async indexMessageText(captureId: number, count: number): Promise<TextIndexStep | null> {
    const [low, high] = this.keyRange(captureId);
    return this.db.transaction(() => {
      const state = this.sql(`SELECT messages, text_indexed FROM captures WHERE id = ? AND status = 'ready'`).get(captureId) as
        { messages: number; text_indexed: number } | undefined;
      if (state === undefined) return null;
      // In key order: FTS5 writes out its pending terms as a segment whenever a rowid is not above the last one.
      const rows = this.sql('SELECT pk, raw FROM messages WHERE pk BETWEEN ? AND ? ORDER BY pk LIMIT ?')
        .all(low + state.text_indexed, high, count) as { pk: number; raw: Buffer }[];
      const insert = this.sql('INSERT INTO messages_fts (rowid, raw_text) VALUES (?, ?)');
      for (const r of rows) insert.run(r.pk, decodeRaw(r.raw).text);
      const indexed = state.text_indexed + rows.length;
      if (rows.length > 0) this.sql('UPDATE captures SET text_indexed = ? WHERE id = ?').run(indexed, captureId);
      // Complete once no stored message is left beyond the watermark (however many the capture counts).
      return { indexed, complete: indexed >= state.messages || rows.length < count };
    }).immediate();
  }

  analysisWriter(id: number): AnalysisWriter {
    return new SqliteAnalysisWriter(this.db, (text) => this.sql(text), id, this.keyRange(id)[0]);
  }

  async aliases(captureId: number): Promise<Record<string, string>> {
    const rows = this.sql('SELECT address, name FROM host_aliases WHERE capture_id = ? ORDER BY address').all(captureId) as { address: string; name: string }[];
    const out: Record<string, string> = Object.create(null);
    for (const r of rows) out[r.address] = r.name;
    return out;
  }

  async setAliases(captureId: number, aliases: Record<string, string>): Promise<void> {
    this.db.transaction(() => {
      this.sql('DELETE FROM host_aliases WHERE capture_id = ?').run(captureId);
      const insert = this.sql('INSERT INTO host_aliases (capture_id, address, name) VALUES (?, ?, ?)');
      for (const [address, name] of Object.entries(aliases)) insert.run(captureId, address, name);
    })();
  }

  /** The conditions of a call filter, each set counted, and how many calls match them all (see call-plan.ts). */
  private matchingCalls(captureId: number, filter: CallFilter): { sets: CountedSet[]; rowTests: Sql[]; total: number; callCount: number } {
    const conditions = callConditions(captureId, filter);
    const count = (q: Sql) => this.sql(q.text).pluck().get(...q.params) as number;
    const stored = this.sql('SELECT calls FROM captures WHERE id = ?').pluck().get(captureId) as number | null | undefined;
    const callCount = stored ?? count({ text: 'SELECT count(*) FROM calls WHERE capture_id = ?', params: [captureId] });
    // A long text of common trigrams only is cheaper to read row by row.
    const rowTests = [...conditions.rowTests];
    const sets = conditions.sets.filter((set) => {
      if (set.ifCommon === undefined || set.ifCommon.probes.some((probe) => count(probe) * 2 <= callCount)) return true;
      rowTests.push(set.ifCommon.rowTest);
      return false;
    });
    const counted = sets.map((set) => ({ set, size: count({ text: `SELECT count(*) FROM (${set.rows.text})`, params: set.rows.params }) }));
    let total: number;
    if (counted.some((s) => s.size === 0)) total = 0;
    else {
      const query = countQuery(captureId, counted, rowTests);
      total = query === null ? counted[0]!.size : count(query);
    }
    return { sets: counted, rowTests, total, callCount };
  }

  async queryCalls(captureId: number, q: CallQuery): Promise<{ total: number; items: CallRow[] }> {
    const { sets, rowTests, total, callCount } = this.matchingCalls(captureId, q);
    if (total === 0 || q.offset >= total) return { total, items: [] };
    // The page's keys first (from the narrow rows and their indexes), then only those documents.
    const page = pageQuery(captureId, sets, rowTests, total, callCount, q);
    const keys = this.sql(page.text).pluck().all(...page.params) as number[];
    const rows = this.sql(`SELECT c.idx, d.data_json, c.message_count, c.anomaly_kinds FROM calls c
      JOIN call_documents d ON d.capture_id = c.capture_id AND d.idx = c.idx
      WHERE c.capture_id = ? AND c.idx IN (SELECT value FROM json_each(?))`)
      .all(captureId, JSON.stringify(keys)) as { idx: number; data_json: string; message_count: number; anomaly_kinds: string }[];
    const byKey = new Map(rows.map((r) => [r.idx, r]));
    const items = keys.map((key) => {
      const r = byKey.get(key)!;
      const { messages: _messages, transactions: _transactions, dialogs: _dialogs, ...rest } = JSON.parse(r.data_json) as Call;
      return { ...rest, messageCount: r.message_count, anomalyKinds: JSON.parse(r.anomaly_kinds) as string[] };
    });
    return { total, items };
  }

  async callParties(captureId: number, filter: CallFilter, sort: CallSortKey, descending: boolean): Promise<CallParties[]> {
    const { sets, rowTests, total, callCount } = this.matchingCalls(captureId, filter);
    if (total === 0) return [];
    const page = pageQuery(captureId, sets, rowTests, total, callCount, { sort, descending, offset: 0, limit: null });
    const keys = this.sql(page.text).pluck().all(...page.params) as number[];
    const rows = this.sql(`SELECT c.idx, c.call_id, json_extract(d.data_json, '$.caller') AS caller, json_extract(d.data_json, '$.callee') AS callee
      FROM calls c JOIN call_documents d ON d.capture_id = c.capture_id AND d.idx = c.idx
      WHERE c.capture_id = ? AND c.idx IN (SELECT value FROM json_each(?))`)
      .all(captureId, JSON.stringify(keys)) as { idx: number; call_id: string; caller: string; callee: string }[];
    const byKey = new Map(rows.map((r) => [r.idx, r]));
    return keys.map((key) => {
      const r = byKey.get(key)!;
      return { callId: r.call_id, caller: JSON.parse(r.caller), callee: JSON.parse(r.callee) };
    });
  }

  async call(captureId: number, callId: string): Promise<Call | null> {
    const row = this.sql(`SELECT d.data_json FROM calls c JOIN call_documents d ON d.capture_id = c.capture_id AND d.idx = c.idx
      WHERE c.capture_id = ? AND c.call_id = ?`).get(captureId, callId) as { data_json: string } | undefined;
    return row ? (JSON.parse(row.data_json) as Call) : null;
  }

  async calls(captureId: number, callIds: readonly string[]): Promise<Call[]> {
    // CROSS JOIN keeps the requested ids as the outer loop, each found through calls_call_id:
    // left to itself the planner walks every call of the capture and tests it against the list.
    const rows = this.sql(`SELECT d.data_json FROM (SELECT DISTINCT value AS call_id FROM json_each(?)) wanted
      CROSS JOIN calls c ON c.capture_id = ? AND c.call_id = wanted.call_id
      JOIN call_documents d ON d.capture_id = c.capture_id AND d.idx = c.idx ORDER BY c.idx`)
      .all(JSON.stringify(callIds), captureId) as { data_json: string }[];
    return rows.map((r) => JSON.parse(r.data_json) as Call);
  }

  async callIds(captureId: number): Promise<string[]> {
    return this.sql('SELECT call_id FROM calls WHERE capture_id = ? ORDER BY idx').pluck().all(captureId) as string[];
  }

  async messages(captureId: number, ids: readonly number[]): Promise<LinkedMessage[]> {
    const rows = this.sql(`SELECT head_json, transaction_id, dialog_id, retransmission_of FROM messages
      WHERE pk IN (SELECT ? + value FROM json_each(?)) ORDER BY pk`).all(captureId * MESSAGE_KEY_SPAN, JSON.stringify(ids)) as MessageRowDb[];
    return rows.map(linkedMessage);
  }

  async message(captureId: number, id: number): Promise<StoredMessage | null> {
    const row = this.sql('SELECT head_json, transaction_id, dialog_id, retransmission_of, raw FROM messages WHERE pk = ?')
      .get(captureId * MESSAGE_KEY_SPAN + id) as MessageRowDb | undefined;
    return row ? { message: linkedMessage(row), raw: row.raw! } : null;
  }

  async *eachMessage(captureId: number, callIds: readonly string[] | null): AsyncIterable<StoredMessage> {
    // Page by key so that no statement stays open across the awaits of the consumer.
    let [after, last] = this.keyRange(captureId);
    after -= 1;
    const scope = callIds === null ? '' : 'AND call_id IN (SELECT value FROM json_each(?))';
    const page = this.db.prepare(`SELECT pk, head_json, transaction_id, dialog_id, retransmission_of, raw FROM messages
      WHERE pk > ? AND pk <= ? ${scope} ORDER BY pk LIMIT ${MESSAGE_PAGE}`);
    const scopeParams = callIds === null ? [] : [JSON.stringify(callIds)];
    for (;;) {
      const rows = page.all(after, last, ...scopeParams) as (MessageRowDb & { pk: number })[];
      for (const r of rows) yield { message: linkedMessage(r), raw: r.raw! };
      if (rows.length < MESSAGE_PAGE) return;
      after = rows[rows.length - 1]!.pk;
    }
  }

  async searchMessages(captureId: number, text: string, limit: number, callIds: readonly string[] | null): Promise<{ total: number; items: SearchHit[] }> {
    // The trigram index finds nothing in a shorter text: neither may the scan.
    if (!isSearchable(text)) return { total: 0, items: [] };
    const state = this.sql('SELECT messages, text_indexed FROM captures WHERE id = ?').get(captureId) as
      { messages: number | null; text_indexed: number } | undefined;
    if (state === undefined || state.messages === null) return { total: 0, items: [] };
    // Read once: what the index holds below it does not change while the scan runs.
    const [low] = this.keyRange(captureId);
    const watermark = low + state.text_indexed;
    const indexed = state.text_indexed > 0 ? this.indexedMatches(text, limit, callIds, low, watermark - 1) : { total: 0, rows: [] };
    const scanned = state.text_indexed < state.messages
      ? await this.scannedMatches(text, limit - indexed.rows.length, callIds, captureId, watermark, low + state.messages - 1)
      : { total: 0, rows: [] };
    return { total: indexed.total + scanned.total, items: [...indexed.rows, ...scanned.rows].map((r) => searchHit(r, text)) };
  }

  /** Matches among the messages keyed `from`..`to`, all in the text index: their count and the first `limit`. */
  private indexedMatches(text: string, limit: number, callIds: readonly string[] | null, from: number, to: number): { total: number; rows: HitRowDb[] } {
    const scope = callIds === null ? '' : 'AND m.call_id IN (SELECT value FROM json_each(?))';
    const params: unknown[] = [phraseQuery(text), from, to, ...(callIds === null ? [] : [JSON.stringify(callIds)])];
    const join = `FROM messages_fts f JOIN messages m ON m.pk = f.rowid WHERE messages_fts MATCH ? AND f.rowid BETWEEN ? AND ? ${scope}`;
    // The whole capture's matches are counted in the index alone: joining each to its message costs three times more.
    const total = callIds === null
      ? this.sql('SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ? AND rowid BETWEEN ? AND ?').pluck().get(...params) as number
      : this.sql(`SELECT count(*) ${join}`).pluck().get(...params) as number;
    const rows = this.sql(`SELECT ${HIT_COLUMNS} ${join} ORDER BY f.rowid LIMIT ?`).all(...params, limit) as HitRowDb[];
    return { total, rows };
  }

  /**
   * Matches among the messages keyed `from`..`to`, read page by page (the text index does not
   * reach them yet): their count and the first `limit`.
   */
  private async scannedMatches(text: string, limit: number, callIds: readonly string[] | null, captureId: number, from: number, to: number):
    Promise<{ total: number; rows: HitRowDb[] }> {
    const lowerText = text.toLowerCase();
    const scope = callIds === null ? '' : 'AND m.capture_id = ? AND m.call_id IN (SELECT value FROM json_each(?))';
    const scopeParams = callIds === null ? [] : [captureId, JSON.stringify(callIds)];
    const where = `FROM messages m WHERE m.pk BETWEEN ? AND ? ${scope} AND ${scanTest(lowerText)}`;
    const matches = this.sql(`SELECT ${HIT_COLUMNS} ${where} ORDER BY m.pk`);
    const count = this.sql(`SELECT count(*) ${where}`).pluck();
    const rows: HitRowDb[] = [];
    let total = 0;
    for (let first = from; first <= to; first += SCAN_PAGE) {
      const params = [first, Math.min(to, first + SCAN_PAGE - 1), ...scopeParams, lowerText];
      if (rows.length < limit) {
        const page = matches.all(...params) as HitRowDb[];
        rows.push(...page.slice(0, limit - rows.length));
        total += page.length;
      } else {
        total += count.get(...params) as number;
      }
      await nextTurn();
    }
    return { total, rows };
  }

  async transactions(captureId: number, ids: readonly number[]): Promise<Transaction[]> {
    return this.jsonRowsById<Transaction>('transactions', captureId, ids);
  }

  async dialogs(captureId: number, ids: readonly number[]): Promise<Dialog[]> {
    return this.jsonRowsById<Dialog>('dialogs', captureId, ids);
  }

  private jsonRowsById<T>(table: 'transactions' | 'dialogs', captureId: number, ids: readonly number[]): T[] {
    return (this.sql(`SELECT data_json FROM ${table} WHERE capture_id = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY id`)
      .pluck().all(captureId, JSON.stringify(ids)) as string[]).map((j) => JSON.parse(j) as T);
  }

  async anomalies(captureId: number, callIds: readonly string[] | null): Promise<Anomaly[]> {
    return this.jsonRowsByCall<Anomaly>('anomalies', 'id', captureId, callIds);
  }

  async registrations(captureId: number, callIds: readonly string[] | null): Promise<Registration[]> {
    return this.jsonRowsByCall<Registration>('registrations', 'idx', captureId, callIds);
  }

  private jsonRowsByCall<T>(table: 'anomalies' | 'registrations', order: string, captureId: number, callIds: readonly string[] | null): T[] {
    const rows = callIds === null
      ? this.sql(`SELECT data_json FROM ${table} WHERE capture_id = ? ORDER BY ${order}`).pluck().all(captureId)
      : this.sql(`SELECT t.data_json FROM (SELECT DISTINCT value AS call_id FROM json_each(?)) wanted
        CROSS JOIN ${table} t ${CALL_INDEX[table]} ON t.capture_id = ? AND t.call_id = wanted.call_id ORDER BY t.${order}`)
        .pluck().all(JSON.stringify(callIds), captureId);
    return (rows as string[]).map((j) => JSON.parse(j) as T);
  }

  async identities(captureId: number): Promise<Identities> {
    const json = this.sql('SELECT identities_json FROM captures WHERE id = ?').pluck().get(captureId) as string | null | undefined;
    return json ? (JSON.parse(json) as Identities) : { users: [], displays: [] };
  }

  async createShare(s: ShareRecord): Promise<void> {
    this.sql(`INSERT INTO shares (token_hash, capture_id, call_ids_json, message_id, anonymize, secret, created_at, expires_at, revoked_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      s.tokenHash, s.captureId, s.callIds === null ? null : JSON.stringify(s.callIds), s.messageId, s.anonymize ? 1 : 0,
      s.secret, s.createdAt, s.expiresAt, s.revokedAt,
    );
  }

  async share(tokenHash: string): Promise<ShareRecord | null> {
    const r = this.sql('SELECT * FROM shares WHERE token_hash = ?').get(tokenHash) as {
      token_hash: string; capture_id: number; call_ids_json: string | null; message_id: number | null; anonymize: number;
      secret: Buffer; created_at: string; expires_at: string | null; revoked_at: string | null;
    } | undefined;
    if (!r) return null;
    return {
      tokenHash: r.token_hash,
      captureId: r.capture_id,
      callIds: r.call_ids_json === null ? null : JSON.parse(r.call_ids_json),
      messageId: r.message_id,
      anonymize: r.anonymize === 1,
      secret: r.secret,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      revokedAt: r.revoked_at,
    };
  }

  async revokeShare(tokenHash: string, at: string): Promise<boolean> {
    return this.sql('UPDATE shares SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL').run(at, tokenHash).changes > 0;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/** Pages the writer's connection caches: messages, calls, the calls' indexes and their trigram index are written in turns. */
const WRITER_CACHE_KIB = 64 * 1024;

/**
 * Writes one capture's analysis from a worker thread, on that thread's own connection. Each
 * write transaction takes the write lock at its start (BEGIN IMMEDIATE): two workers write at
 * once, and a transaction that read first could not wait for the lock, only fail.
 */
class SqliteAnalysisWriter implements AnalysisWriter {
  private calls = 0;
  private registrations = 0;
  private anomalies = 0;
  private readonly severities = { info: 0, warning: 0, error: 0 };

  constructor(
    private readonly db: SqliteDatabase,
    private readonly sql: (text: string) => Statement,
    private readonly captureId: number,
    private readonly keyBase: number,
  ) {
    db.pragma(`cache_size = -${WRITER_CACHE_KIB}`);
  }

  async addMessages(batch: readonly MessageToStore[]): Promise<void> {
    const insert = this.sql(`INSERT INTO messages (pk, capture_id, id, frame, time, call_id, label, head_json, raw, transaction_id, dialog_id,
      retransmission_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.db.transaction(() => {
      for (const { message: m, raw, link } of batch) {
        insert.run(this.keyBase + m.id, this.captureId, m.id, m.frame, m.time, m.callId, arrowLabel(m), JSON.stringify(m), raw, link.transaction,
          link.dialog, link.retransmissionOf);
      }
    }).immediate();
  }

  async addCalls(results: readonly CallResult[]): Promise<void> {
    const id = this.captureId;
    const tx = this.sql('INSERT INTO transactions (capture_id, id, call_id, data_json) VALUES (?, ?, ?, ?)');
    const dialog = this.sql('INSERT INTO dialogs (capture_id, id, call_id, data_json) VALUES (?, ?, ?, ?)');
    // Registrations are keyed by their call's index: listed in call order, like the analysis lists them.
    const registration = this.sql('INSERT INTO registrations (capture_id, idx, call_id, outcome, data_json) VALUES (?, ?, ?, ?, ?)');
    // In call order: FTS5 writes out its pending terms as a segment whenever a rowid is not above the last one.
    const inCallOrder = [...results].sort((a, b) => a.index - b.index);
    this.db.transaction(() => {
      for (const r of inCallOrder) {
        this.insertCall(r);
        for (const t of r.transactions) tx.run(id, t.id, t.callId, JSON.stringify(t));
        for (const d of r.dialogs) dialog.run(id, d.id, d.callId, JSON.stringify(d));
        if (r.registration !== null) {
          registration.run(id, r.index, r.registration.callId, r.registration.outcome, JSON.stringify(r.registration));
          this.registrations++;
        }
      }
    }).immediate();
    this.calls += results.length;
  }

  /** Stored under -1 - provisional id until finish() gives the final ids. */
  async addAnomalies(anomalies: readonly Anomaly[]): Promise<void> {
    const insert = this.sql('INSERT INTO anomalies (capture_id, id, call_id, kind, severity, data_json) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const a of anomalies) {
        insert.run(this.captureId, -1 - a.id, a.callId, a.kind, a.severity, JSON.stringify(a));
        this.severities[a.severity]++;
      }
    }).immediate();
    this.anomalies += anomalies.length;
  }

  async finish(summary: AnalysisSummary, end: AnalysisEnd): Promise<void> {
    const id = this.captureId;
    if (end.anomalyIds.length !== this.anomalies) throw new Error(`${this.anomalies} anomalies stored, ${end.anomalyIds.length} found`);
    this.db.transaction(() => {
      const renumber = this.sql(`UPDATE anomalies SET id = ?, data_json = json_set(data_json, '$.id', ?) WHERE capture_id = ? AND id = ?`);
      end.anomalyIds.forEach((final, provisional) => renumber.run(final, final, id, -1 - provisional));
      const anomalyList = this.sql(`UPDATE call_documents SET data_json = json_set(data_json, '$.anomalies', json(?)) WHERE capture_id = ? AND idx = ?`);
      for (const [index, ids] of end.callAnomalies) anomalyList.run(JSON.stringify(ids), id, index);
      const legs = this.sql(`UPDATE call_documents SET data_json = json_set(data_json, '$.legs', json(?)) WHERE capture_id = ? AND idx = ?`);
      for (const [index, links] of end.legs) legs.run(JSON.stringify(links), id, index);
      const { severities } = this;
      this.sql(`UPDATE captures SET status = 'ready', error = NULL, first_time = ?, last_time = ?, packets = ?, messages = ?, calls = ?,
        registrations = ?, anomalies_info = ?, anomalies_warning = ?, anomalies_error = ?, file_json = ?, stats_json = ?, warnings_json = ?,
        identities_json = ? WHERE id = ?`).run(
        summary.firstTime, summary.lastTime, summary.file.packets, summary.messages, this.calls, this.registrations,
        severities.info, severities.warning, severities.error, JSON.stringify(summary.file), JSON.stringify(end.stats),
        JSON.stringify(summary.warnings), JSON.stringify(summary.identities), id,
      );
    }).immediate();
  }

  /** The call's narrow row (for filters and sorting), its trigram index entry, its document, and its tags. */
  private insertCall(r: CallResult): void {
    const insert = this.sql(`INSERT INTO calls (capture_id, idx, call_id, kind, outcome, final_status, start_time, duration, pdd,
      message_count, caller, callee, caller_user, callee_user, parties_text, anomaly_kinds)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const textIndex = this.sql('INSERT INTO calls_fts (rowid, caller_user, callee_user, call_id, parties) VALUES (?, ?, ?, ?, ?)');
    const document = this.sql('INSERT INTO call_documents (capture_id, idx, data_json) VALUES (?, ?, ?)');
    const tag = this.sql('INSERT OR IGNORE INTO call_tags (capture_id, tag, idx) VALUES (?, ?, ?)');
    const { call: c, index: idx } = r;
    const parties = [c.caller.user, c.caller.display, c.caller.uri, c.callee.user, c.callee.display, c.callee.uri, c.callId]
      .filter((p) => p !== null).join('\n').toLowerCase();
    insert.run(
      this.captureId, idx, c.callId, c.kind, c.outcome, c.finalStatus, Number(c.startTime), c.duration, c.postDialDelay,
      c.messages.length, partyName(c.caller), partyName(c.callee), c.caller.user, c.callee.user, parties, JSON.stringify(r.anomalyKinds),
    );
    textIndex.run(this.keyBase + idx, c.caller.user, c.callee.user, c.callId, parties);
    document.run(this.captureId, idx, JSON.stringify(c));
    for (const m of new Set(r.methods.map((method) => method.toUpperCase()))) tag.run(this.captureId, `m:${m}`, idx);
    for (const s of r.statuses) tag.run(this.captureId, `s:${s}`, idx);
    for (const k of r.anomalyKinds) tag.run(this.captureId, `a:${k}`, idx);
  }
}
