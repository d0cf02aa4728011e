// The SQLite store on its own: schema versioning and migration, the call list on 100 000 calls
// (every filter, sort and page checked against the same query done in JavaScript, through each
// way call-plan.ts can choose to answer it, with the indexes it means to use), the trigram
// index kept right through re-analysis and deletion, and the content-addressed files.
// How fast the calls table answers is measured by bench/calls-table.ts, not here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Call, CallOutcome } from '../../src/model.js';
import { FileBlobStore } from '../../server/store/FileBlobStore.js';
import { callConditions, pageQuery, type CountedSet, type PageRequest } from '../../server/store/call-plan.js';
import { MIGRATIONS } from '../../server/store/migrations.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';
import { CALL_SORT_KEYS, partyName, type CallFilter, type CallQuery, type CallSortKey } from '../../server/store/Store.js';
import { tempDir } from './helpers/server.js';

const CALLS = 100_000;
const OUTCOMES: CallOutcome[] = ['completed', 'busy', 'cancelled', 'rejected', 'failed', 'answered'];
const FINAL_STATUS: Record<string, number> = { completed: 200, answered: 200, busy: 486, cancelled: 487, rejected: 404, failed: 503 };
const BASE_TIME = 1_700_000_000;

/**
 * A synthetic call: every 13th has no final response (no outcome, no status), every 7th an
 * anomaly, every 10th a display name; durations, delays and message counts vary, some are null.
 */
function syntheticCall(i: number, firstMessage: number): { call: Call; labels: (string | number)[] } {
  const outcome = i % 13 === 0 ? null : OUTCOMES[i % OUTCOMES.length]!;
  const answered = outcome === 'completed' || outcome === 'answered';
  const finalStatus = outcome === null ? null : FINAL_STATUS[outcome]!;
  const labels: (string | number)[] = ['INVITE', ...(i % 4 === 0 ? [] : [100]), ...(finalStatus === null ? [] : [finalStatus])];
  if (outcome === 'cancelled') labels.push('CANCEL', 200);
  if (finalStatus !== null) labels.push('ACK');
  if (answered) labels.push('BYE', 200);
  const call: Call = {
    callId: `${i}-4242@10.0.${(i >> 8) & 255}.${i & 255}`,
    kind: i % 50 === 0 ? 'options' : 'call',
    firstRequest: 'INVITE',
    caller: { uri: `sip:user${i % 997}@example.com`, user: `user${i % 997}`, display: i % 10 === 0 ? `Agent Smith ${i % 31}` : null },
    callee: { uri: `sip:${5550000 + (i % 3001)}@example.com`, user: String(5550000 + (i % 3001)), display: null },
    outcome,
    finalStatus,
    finalReason: null,
    endedBy: answered ? 'caller' : null,
    startTime: `${BASE_TIME + i}.000000`,
    answerTime: null,
    endTime: null,
    lastTime: `${BASE_TIME + i + 5}.000000`,
    postDialDelay: i % 11 === 0 ? null : (i % 1000) / 100,
    setupTime: null,
    duration: answered ? (i * 7919) % 3600 : null,
    messages: labels.map((_, k) => firstMessage + k),
    transactions: [],
    dialogs: [],
    endpoints: [],
    media: [],
    onHold: false,
    anomalies: i % 7 === 0 ? [i] : [],
    legs: [],
  };
  return { call, labels };
}

function anomalyKindOf(call: Call): string | null {
  if (call.anomalies.length === 0) return null;
  return call.outcome === 'failed' ? 'service-unavailable-not-retried' : 'slow-trying';
}

/**
 * Stores calls the way the analysis writer does (calls, calls_fts, call_documents and call_tags
 * rows, in one transaction) and makes the capture ready, through a connection of its own: the read side
 * is tested apart from however the writer gathers them. The corpus tests cover both together.
 */
function storeCalls(path: string, captureId: number, calls: { call: Call; labels: (string | number)[] }[]): void {
  const db = new Database(path);
  db.pragma('busy_timeout = 15000');
  const insert = db.prepare(`INSERT INTO calls (capture_id, idx, call_id, kind, outcome, final_status, start_time, duration, pdd,
    message_count, caller, callee, caller_user, callee_user, parties_text, anomaly_kinds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const textIndex = db.prepare('INSERT INTO calls_fts (rowid, caller_user, callee_user, call_id, parties) VALUES (?, ?, ?, ?, ?)');
  const document = db.prepare('INSERT INTO call_documents (capture_id, idx, data_json) VALUES (?, ?, ?)');
  const tag = db.prepare('INSERT OR IGNORE INTO call_tags (capture_id, tag, idx) VALUES (?, ?, ?)');
  db.transaction(() => {
    calls.forEach(({ call: c, labels }, idx) => {
      const parties = [c.caller.user, c.caller.display, c.caller.uri, c.callee.user, c.callee.display, c.callee.uri, c.callId]
        .filter((p) => p !== null).join('\n').toLowerCase();
      const kind = anomalyKindOf(c);
      insert.run(captureId, idx, c.callId, c.kind, c.outcome, c.finalStatus, Number(c.startTime), c.duration, c.postDialDelay, c.messages.length,
        partyName(c.caller), partyName(c.callee), c.caller.user, c.callee.user, parties, JSON.stringify(kind === null ? [] : [kind]));
      textIndex.run(captureId * 2 ** 32 + idx, c.caller.user, c.callee.user, c.callId, parties);
      document.run(captureId, idx, JSON.stringify(c));
      for (const label of new Set(labels)) tag.run(captureId, typeof label === 'string' ? `m:${label}` : `s:${label}`, idx);
      if (kind !== null) tag.run(captureId, `a:${kind}`, idx);
    });
    db.prepare(`UPDATE captures SET status = 'ready', calls = ? WHERE id = ?`).run(calls.length, captureId);
  })();
  db.close();
}

/** What the reference filter reads of each call, computed once. */
interface CallFacts {
  call: Call;
  idx: number;
  labels: Set<string | number>;
  anomalyKind: string | null;
  texts: string[];
  users: string[];
}

/** The call list query done in JavaScript over every call: what the store must answer. */
function reference(facts: CallFacts[], q: CallQuery): { total: number; callIds: string[] } {
  const kept = matchingInOrder(facts, q);
  return { total: kept.length, callIds: kept.slice(q.offset, q.offset + q.limit).map((f) => f.call.callId) };
}

const matchingLists = new Map<string, CallFacts[]>();

/** The calls matching `q`, in its order (kept for the other pages of the same query). */
function matchingInOrder(facts: CallFacts[], q: CallQuery): CallFacts[] {
  const { offset: _offset, limit: _limit, ...rest } = q;
  const key = JSON.stringify(rest);
  let kept = matchingLists.get(key);
  if (kept === undefined) {
    kept = filterAndSort(facts, q);
    matchingLists.set(key, kept);
  }
  return kept;
}

function filterAndSort(facts: CallFacts[], q: CallQuery): CallFacts[] {
  const has = (haystacks: string[], needle: string) => haystacks.some((h) => h.includes(needle.toLowerCase()));
  const kept = facts.filter((f) => {
    const c = f.call;
    return (q.outcome === undefined || c.outcome === q.outcome)
      && (q.kind === undefined || c.kind === q.kind)
      && (q.anomaly === undefined || f.anomalyKind === q.anomaly)
      && (q.method === undefined || f.labels.has(q.method.toUpperCase()))
      && (q.status === undefined || f.labels.has(q.status))
      && (q.user === undefined || has(f.users, q.user))
      && (q.callId === undefined || has([c.callId.toLowerCase()], q.callId))
      && (q.q === undefined || has(f.texts, q.q))
      && (q.from === undefined || Number(c.startTime) >= q.from)
      && (q.to === undefined || Number(c.startTime) <= q.to)
      && (q.callIds === undefined || q.callIds.includes(c.callId));
  });
  const value = sortValue(q.sort);
  const direction = q.descending ? -1 : 1;
  kept.sort((a, b) => {
    const x = value(a);
    const y = value(b);
    // Calls without a value last either way, ties in capture order in the same direction.
    if (x === null || y === null) return x === y ? direction * (a.idx - b.idx) : x === null ? 1 : -1;
    return direction * (x < y ? -1 : x > y ? 1 : a.idx - b.idx);
  });
  return kept;
}

function sortValue(sort: CallSortKey): (f: CallFacts) => number | string | null {
  switch (sort) {
    case 'startTime': return (f) => Number(f.call.startTime);
    case 'duration': return (f) => f.call.duration;
    case 'postDialDelay': return (f) => f.call.postDialDelay;
    case 'messages': return (f) => f.call.messages.length;
    case 'caller': return (f) => partyName(f.call.caller).toLowerCase();
    case 'callee': return (f) => partyName(f.call.callee).toLowerCase();
    case 'outcome': return (f) => f.call.outcome;
    case 'finalStatus': return (f) => f.call.finalStatus;
  }
}

describe('SqliteStore', () => {
  const dir = tempDir('store');
  let store: SqliteStore;
  let captureId: number;
  const facts: CallFacts[] = [];

  beforeAll(async () => {
    const synthetic: { call: Call; labels: (string | number)[] }[] = [];
    let messages = 0;
    for (let i = 0; i < CALLS; i++) {
      const { call, labels } = syntheticCall(i, messages);
      messages += labels.length;
      synthetic.push({ call, labels });
      const parties = [call.caller, call.callee].flatMap((p) => [p.user, p.display, p.uri]).filter((t): t is string => t !== null);
      facts.push({
        call,
        idx: i,
        labels: new Set(labels),
        anomalyKind: anomalyKindOf(call),
        texts: [...parties, call.callId].map((t) => t.toLowerCase()),
        users: [call.caller.user!, call.callee.user!].map((t) => t.toLowerCase()),
      });
    }
    store = new SqliteStore(join(dir, 'test.db'));
    ({ capture: { id: captureId } } = await store.addCapture({ name: 'synthetic', size: 1, sha256: 'a'.repeat(64) }));
    await store.beginAnalysis(captureId);
    storeCalls(join(dir, 'test.db'), captureId, synthetic);
  }, 180_000);

  afterAll(async () => {
    await store.close();
  });

  it('records its schema version', () => {
    const db = new Database(join(dir, 'test.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('lets both trigram indexes gather 16 segments a level before merging them', () => {
    const db = new Database(join(dir, 'test.db'), { readonly: true });
    for (const table of ['messages_fts', 'calls_fts']) {
      expect(db.prepare(`SELECT v FROM ${table}_config WHERE k = 'automerge'`).pluck().get(), table).toBe(16);
    }
    db.close();
  });

  it('refuses a database from a newer version', () => {
    const path = join(dir, 'future.db');
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => new SqliteStore(path)).toThrow(/newer than this program's/);
  });

  const base: CallQuery = { offset: 0, limit: 50, sort: 'startTime', descending: false };

  async function check(query: CallQuery): Promise<void> {
    const result = await store.queryCalls(captureId, query);
    const expected = reference(facts, query);
    expect({ total: result.total, callIds: result.items.map((r) => r.callId) }, JSON.stringify(query)).toEqual(expected);
  }

  it('pages and sorts 100 000 calls by every sort key, both ways', async () => {
    for (const sort of CALL_SORT_KEYS) {
      for (const descending of [false, true]) {
        for (const offset of [0, 61_234, CALLS - 20]) await check({ ...base, sort, descending, offset });
      }
    }
  });

  it('filters by each condition alone, densely or sparsely matched', async () => {
    const filters: CallFilter[] = [
      { outcome: 'busy' }, { outcome: 'completed' }, { kind: 'options' },
      { anomaly: 'slow-trying' }, { anomaly: 'service-unavailable-not-retried' },
      { method: 'INVITE' }, { method: 'cancel' }, { status: 200 }, { status: 487 }, { status: 180 },
      { user: 'user99' }, { user: '555300' }, { user: 'USER5' }, { user: 'ser' }, { user: '9' }, { user: '%' }, { user: 'nobody' },
      { callId: '777-4242@' }, { callId: '_' }, { callId: '@' },
      { q: 'AGENT smith 3' }, { q: 'example.com' }, { q: '5' }, { q: 'zzz' },
      { from: BASE_TIME + 500, to: BASE_TIME + 1500 }, { from: BASE_TIME + 99_990 }, { to: BASE_TIME + 10 },
      { callIds: ['5-4242@10.0.0.5', '6-4242@10.0.0.6', 'unknown'] },
    ];
    for (const filter of filters) {
      await check({ ...base, ...filter });
      await check({ ...base, ...filter, sort: 'duration', descending: true, offset: 40 });
    }
  });

  it('combines filters with every sort, walking an index or gathering a set as each plan requires', async () => {
    const combinations: CallFilter[] = [
      { method: 'INVITE', status: 200 },
      { user: 'user1', outcome: 'busy' },
      { q: 'agent', from: BASE_TIME + 10_000, to: BASE_TIME + 60_000 },
      { anomaly: 'slow-trying', status: 486, user: '9' },
      { outcome: 'completed', kind: 'call', callId: '99' },
    ];
    for (const filter of combinations) {
      for (const sort of CALL_SORT_KEYS) {
        await check({ ...base, ...filter, sort, descending: sort.length % 2 === 0 });
        await check({ ...base, ...filter, sort, descending: sort.length % 2 === 1, offset: 3_000 });
      }
    }
  });

  it('returns every call party for the filters that cannot run in SQL', async () => {
    const parties = await store.callParties(captureId, { outcome: 'failed' }, 'startTime', false);
    const failed = facts.filter((f) => f.call.outcome === 'failed');
    expect(parties).toHaveLength(failed.length);
    expect(parties[0]).toEqual({ callId: failed[0]!.call.callId, caller: failed[0]!.call.caller, callee: failed[0]!.call.callee });
    const byCaller = await store.callParties(captureId, { method: 'CANCEL' }, 'caller', true);
    expect(byCaller.map((p) => p.callId)).toEqual(reference(facts, { ...base, method: 'CANCEL', sort: 'caller', descending: true, limit: CALLS }).callIds);
  });

  it('reads the calls named, once each, in capture order, whatever order they are asked in', async () => {
    const wanted = [99_999, 7, 50_000, 7].map((i) => facts[i]!.call.callId);
    const calls = await store.calls(captureId, [...wanted, 'no-such-call@nowhere']);
    expect(calls.map((c) => c.callId)).toEqual([7, 50_000, 99_999].map((i) => facts[i]!.call.callId));
    expect(calls[1]).toEqual(facts[50_000]!.call);
  });

  it('sorts straight from an index and filters text through the trigram index', () => {
    const db = new Database(join(dir, 'test.db'), { readonly: true });
    try {
      const plan = (text: string, params: unknown[]) => db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...params).map((r) => (r as { detail: string }).detail).join('; ');
      const sizes = (filter: CallFilter): CountedSet[] => callConditions(captureId, filter).sets.map((set) => ({
        set, size: db.prepare(`SELECT count(*) FROM (${set.rows.text})`).pluck().get(...set.rows.params) as number,
      }));
      for (const sort of CALL_SORT_KEYS) {
        const page = pageQuery(captureId, [], [], CALLS, CALLS, { sort, descending: false, offset: 50_000, limit: 50 });
        expect(plan(page.text, page.params), sort).toMatch(/^SEARCH c USING COVERING INDEX calls_\w+ \(capture_id=\?\)$/);
      }
      const [user] = callConditions(captureId, { user: 'user99' }).sets;
      expect(plan(user!.rows.text, user!.rows.params)).toMatch(/^SCAN calls_fts VIRTUAL TABLE INDEX/);
      const [tag] = callConditions(captureId, { status: 486 }).sets;
      expect(plan(tag!.rows.text, tag!.rows.params)).toBe('SEARCH call_tags USING PRIMARY KEY (capture_id=? AND tag=?)');
      // A sparse text (a few hundred calls) is gathered from the trigram index and sorted.
      const sparse = sizes({ user: 'user99' });
      const gathered = pageQuery(captureId, sparse, [], sparse[0]!.size, CALLS, { sort: 'duration', descending: true, offset: 0, limit: 50 });
      expect(plan(gathered.text, gathered.params)).toMatch(/^SCAN calls_fts VIRTUAL TABLE INDEX .*; SEARCH c USING PRIMARY KEY \(capture_id=\? AND idx=\?\); USE TEMP B-TREE FOR ORDER BY$/);
      // A dense tag is tested along the sort index.
      const dense = sizes({ method: 'INVITE' });
      const walked = pageQuery(captureId, dense, [], CALLS, CALLS, { sort: 'duration', descending: true, offset: 0, limit: 50 });
      expect(plan(walked.text, walked.params)).toMatch(/^SEARCH c USING COVERING INDEX calls_duration \(capture_id=\?\); SEARCH t EXISTS USING PRIMARY KEY/);
      // An outcome listed by start time from its own index.
      const outcome = sizes({ outcome: 'completed' });
      const byStart = pageQuery(captureId, outcome, [], outcome[0]!.size, CALLS, { sort: 'startTime', descending: false, offset: 5_000, limit: 50 });
      expect(plan(byStart.text, byStart.params)).toBe('SEARCH c USING COVERING INDEX calls_outcome (capture_id=? AND outcome=?)');
    } finally {
      db.close();
    }
  });
});

describe('choosing how to find a page', () => {
  const page: PageRequest = { sort: 'duration', descending: true, offset: 0, limit: 50 };
  const sized = (filter: CallFilter, ...sizes: number[]): CountedSet[] => callConditions(1, filter).sets.map((set, i) => ({ set, size: sizes[i]! }));

  it('walks the sort index when few calls do not match, and gathers a small set otherwise', () => {
    expect(pageQuery(1, [], [], 100_000, 100_000, page).text).toMatch(/INDEXED BY calls_duration/);
    expect(pageQuery(1, sized({ status: 200 }, 80_000), [], 80_000, 100_000, page).text).toMatch(/INDEXED BY calls_duration/);
    expect(pageQuery(1, sized({ status: 487 }, 8_000), [], 8_000, 100_000, page).text).toMatch(/^SELECT c\.idx FROM \(SELECT idx FROM call_tags/);
    expect(pageQuery(1, sized({ user: 'alice' }, 8_000), [], 8_000, 100_000, page).text).toMatch(/^SELECT c\.idx FROM \(SELECT rowid - \? AS idx FROM calls_fts/);
  });

  it('drives a combination from its smallest set', () => {
    const sets = sized({ method: 'INVITE', user: 'alice' }, 100_000, 300);
    const sql = pageQuery(1, sets, [], 290, 100_000, page);
    expect(sql.text).toMatch(/^SELECT c\.idx FROM \(SELECT rowid - \? AS idx FROM calls_fts .*EXISTS \(SELECT 1 FROM call_tags/);
  });

  it('does not bet on matches coming early: a sparse filter is not walked, however near the top the page is', () => {
    // 5 000 matching calls of 100 000 may all sort last (cancelled calls have no duration).
    const sql = pageQuery(1, sized({ outcome: 'cancelled' }, 5_000), [], 5_000, 100_000, page);
    expect(sql.text).toMatch(/CROSS JOIN calls c/);
  });

  it('lists an outcome by start time from its own index', () => {
    const sets = sized({ outcome: 'completed' }, 70_000);
    expect(pageQuery(1, sets, [], 70_000, 100_000, { ...page, sort: 'startTime', offset: 60_000 }).text).toMatch(/INDEXED BY calls_outcome /);
  });

  it('keeps a LIKE on each row at hand for a long text, in case its trigrams are all common', () => {
    const [domain] = callConditions(1, { q: 'Example.com' }).sets;
    expect(domain!.ifCommon!.probes.map((p) => p.params[1])).toEqual(['{parties} : "Exa"', '{parties} : "ple"', '{parties} : "com"']);
    expect(domain!.ifCommon!.rowTest).toEqual({ text: "(c.parties_text LIKE ? ESCAPE '\\')", params: ['%example.com%'] });
    // Too short to cost much in calls_fts; or not ASCII, where LIKE would not fold case as FTS5 does.
    expect(callConditions(1, { q: 'example' }).sets[0]!.ifCommon).toBeUndefined();
    expect(callConditions(1, { user: 'Ängelholm-1' }).sets[0]!.ifCommon).toBeUndefined();
  });

  it('reads every row for a text too short for trigrams only when most calls match', () => {
    const { rowTests } = callConditions(1, { user: '9' });
    expect(pageQuery(1, [], rowTests, 60_000, 100_000, page).text).toMatch(/INDEXED BY calls_duration/);
    expect(pageQuery(1, [], rowTests, 30, 100_000, page).text).toMatch(/ORDER BY \+c\.duration/);
  });
});

describe('the trigram index of calls', () => {
  const calls = [0, 1, 2].map((i) => syntheticCall(i * 3, i * 10));
  const matches = (path: string, text: string) => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare('SELECT count(*) FROM calls_fts WHERE calls_fts MATCH ?').pluck().get(`"${text}"`) as number;
    } finally {
      db.close();
    }
  };

  it('is built from the calls already stored when the database is upgraded', async () => {
    const path = join(tempDir('store-v2'), 'old.db');
    const db = new Database(path);
    for (const step of MIGRATIONS.slice(0, 2)) db.exec(step);
    db.pragma('user_version = 2');
    db.prepare(`INSERT INTO captures (id, name, size, sha256, status, created_at, calls) VALUES (1, 'old', 1, ?, 'ready', '2026-01-01', 1)`).run('b'.repeat(64));
    db.prepare(`INSERT INTO calls (capture_id, idx, call_id, kind, outcome, final_status, start_time, duration, pdd, message_count, caller, callee,
      caller_user, callee_user, parties_text, anomaly_kinds) VALUES (1, 0, 'old-call@host', 'call', 'busy', 486, 1, NULL, NULL, 3, 'alice', 'bob', 'alice', 'bob',
      'alice\nsip:alice@example.com\nbob\nsip:bob@example.com\nold-call@host', '[]')`).run();
    db.prepare(`INSERT INTO call_documents (capture_id, idx, data_json) VALUES (1, 0, ?)`).run(JSON.stringify({ ...calls[0]!.call, callId: 'old-call@host' }));
    db.close();
    const store = new SqliteStore(path);
    try {
      const found = await store.queryCalls(1, { offset: 0, limit: 50, sort: 'startTime', descending: false, user: 'ALIC' });
      expect(found.items.map((c) => c.callId)).toEqual(['old-call@host']);
      expect((await store.queryCalls(1, { offset: 0, limit: 50, sort: 'startTime', descending: false, q: 'example.com' })).total).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('follows re-analysis and deletion', async () => {
    const path = join(tempDir('store-fts'), 'test.db');
    const store = new SqliteStore(path);
    try {
      const { capture } = await store.addCapture({ name: 'small', size: 1, sha256: 'c'.repeat(64) });
      await store.beginAnalysis(capture.id);
      storeCalls(path, capture.id, calls);
      expect(matches(path, 'user3@')).toBe(1);
      // A retry drops the analysis (and its index rows) before writing it again.
      await store.beginAnalysis(capture.id);
      expect(matches(path, 'user3@')).toBe(0);
      storeCalls(path, capture.id, calls);
      expect(matches(path, 'user3@')).toBe(1);
      expect((await store.queryCalls(capture.id, { offset: 0, limit: 50, sort: 'startTime', descending: false, user: 'user3' })).total).toBe(1);
      await store.deleteCapture(capture.id);
      expect(matches(path, 'user3@')).toBe(0);
      expect(matches(path, '4242@')).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe('FileBlobStore', () => {
  it('stores bytes once under their sha256 and leaves no temporary file', async () => {
    const dir = tempDir('blobs');
    const blobs = new FileBlobStore(dir);
    await blobs.init();
    const bytes = Buffer.from('the same bytes');
    const sha = (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex');
    for (let i = 0; i < 2; i++) {
      const upload = await blobs.createUpload();
      await upload.write(bytes);
      await upload.commit(sha);
    }
    expect(readdirSync(join(dir, 'files'))).toEqual([sha]);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(readFileSync(join(dir, 'files', sha))).toEqual(bytes);
    const aborted = await blobs.createUpload();
    await aborted.write(bytes);
    await aborted.abort();
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(() => blobs.open('../../etc/passwd')).toThrow(/not a sha256/);
  });
});
