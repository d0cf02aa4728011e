// The SQLite store on its own: schema versioning, the call list on 100 000 calls (filters,
// sorts and pages answered by SQL with indexes, quickly), and the content-addressed files.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Anomaly, Call, CallOutcome } from '../../src/model.js';
import { FileBlobStore } from '../../server/store/FileBlobStore.js';
import { MIGRATIONS } from '../../server/store/migrations.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';
import type { CallQuery, CallRow } from '../../server/store/Store.js';
import { tempDir } from './helpers/server.js';

const CALLS = 100_000;
const OUTCOMES: CallOutcome[] = ['completed', 'busy', 'cancelled', 'rejected', 'failed', 'answered'];
const BASE_TIME = 1_700_000_000;

/** A synthetic call: every 7th has an anomaly, durations and delays vary, a few have none. */
function syntheticCall(i: number): Call {
  const outcome = OUTCOMES[i % OUTCOMES.length]!;
  const answered = outcome === 'completed' || outcome === 'answered';
  const status = { completed: 200, answered: 200, busy: 486, cancelled: 487, rejected: 404, failed: 503 }[outcome as string]!;
  return {
    callId: `${i}-4242@10.0.${(i >> 8) & 255}.${i & 255}`,
    kind: 'call',
    firstRequest: 'INVITE',
    caller: { uri: `sip:user${i % 997}@example.com`, user: `user${i % 997}`, display: null },
    callee: { uri: `sip:${5550000 + (i % 3001)}@example.com`, user: String(5550000 + (i % 3001)), display: null },
    outcome,
    finalStatus: status,
    finalReason: null,
    endedBy: answered ? 'caller' : null,
    startTime: `${BASE_TIME + i}.000000`,
    answerTime: null,
    endTime: null,
    lastTime: `${BASE_TIME + i + 5}.000000`,
    postDialDelay: i % 11 === 0 ? null : (i % 1000) / 100,
    setupTime: null,
    duration: answered ? (i * 7919) % 3600 : null,
    messages: [],
    transactions: [],
    dialogs: [],
    endpoints: [],
    media: [],
    onHold: false,
    anomalies: i % 7 === 0 ? [i] : [],
    legs: [],
  };
}

describe('SqliteStore', () => {
  const dir = tempDir('store');
  let store: SqliteStore;
  let captureId: number;
  const calls = Array.from({ length: CALLS }, (_, i) => syntheticCall(i));

  beforeAll(async () => {
    store = new SqliteStore(join(dir, 'test.db'));
    ({ capture: { id: captureId } } = await store.addCapture({ name: 'synthetic', size: 1, sha256: 'a'.repeat(64) }));
    await store.beginAnalysis(captureId);
    const anomalies: Anomaly[] = calls.filter((c) => c.anomalies.length > 0).map((c) => ({
      id: c.anomalies[0]!, kind: c.outcome === 'failed' ? 'service-unavailable-not-retried' : 'slow-trying', severity: 'warning',
      callId: c.callId, messages: [], title: '', explanation: '', reference: '',
    }));
    await store.analysisWriter(captureId).finish({
      file: { name: 'synthetic', format: 'pcap', compression: null, linkTypes: [1], packets: 0, bytes: 0 },
      warnings: [],
      firstTime: null,
      lastTime: null,
      messages: 0,
      analysis: {
        transactions: [], dialogs: [], calls, registrations: [], anomalies, messageLinks: [],
        stats: { requests: {}, responses: {}, retransmissions: 0, outcomes: {}, asr: null },
      },
      messageLabels: [],
      identities: { users: [], displays: [] },
    });
  }, 120_000);

  afterAll(async () => {
    await store.close();
  });

  it('records its schema version', () => {
    const db = new Database(join(dir, 'test.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
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

  /** Runs a query, checks it against the same filter in JavaScript, and returns its time in ms. */
  async function check(query: CallQuery, keep: (c: Call) => boolean, order: (a: Call, b: Call) => number): Promise<number> {
    const started = performance.now();
    const result = await store.queryCalls(captureId, query);
    const elapsed = performance.now() - started;
    const expected = calls.filter(keep).sort(order);
    expect(result.total).toBe(expected.length);
    expect(result.items.map((r: CallRow) => r.callId)).toEqual(expected.slice(query.offset, query.offset + query.limit).map((c) => c.callId));
    return elapsed;
  }

  const byStart = (a: Call, b: Call) => Number(a.startTime) - Number(b.startTime);
  /** NULLs last in either direction, then capture order in the same direction. */
  const byNumber = (key: 'duration' | 'postDialDelay', descending: boolean) => (a: Call, b: Call) => {
    const x = a[key];
    const y = b[key];
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    return (descending ? y - x : x - y) || (descending ? byStart(b, a) : byStart(a, b));
  };

  it('pages, sorts and filters 100 000 calls in SQL, fast', async () => {
    const times = [
      await check({ ...base, offset: 90_000 }, () => true, byStart),
      await check({ ...base, sort: 'startTime', descending: true }, () => true, (a, b) => byStart(b, a)),
      await check({ ...base, sort: 'duration', descending: true }, () => true, byNumber('duration', true)),
      await check({ ...base, sort: 'postDialDelay' }, () => true, byNumber('postDialDelay', false)),
      await check({ ...base, outcome: 'busy', offset: 100 }, (c) => c.outcome === 'busy', byStart),
      await check({ ...base, anomaly: 'slow-trying' }, (c) => c.anomalies.length > 0 && c.outcome !== 'failed', byStart),
      await check({ ...base, status: 486 }, () => false, byStart),
      await check({ ...base, user: 'user99' }, (c) => c.caller.user!.includes('user99'), byStart),
      await check({ ...base, user: '555300' }, (c) => c.callee.user!.includes('555300'), byStart),
      await check({ ...base, callId: '777-4242@' }, (c) => c.callId.includes('777-4242@'), byStart),
      await check({ ...base, q: 'USER5' }, (c) => c.caller.user!.includes('user5') || c.callee.user!.includes('user5') || c.callId.includes('user5'), byStart),
      await check({ ...base, from: BASE_TIME + 500, to: BASE_TIME + 1500, outcome: 'completed' }, (c) => Number(c.startTime) >= BASE_TIME + 500 && Number(c.startTime) <= BASE_TIME + 1500 && c.outcome === 'completed', byStart),
      await check({ ...base, callIds: ['5-4242@10.0.0.5', '6-4242@10.0.0.6', 'unknown'] }, (c) => c.callId === '5-4242@10.0.0.5' || c.callId === '6-4242@10.0.0.6', byStart),
    ];
    // Generous for a shared 2-core machine; SQL over indexes answers each in a few tens of ms.
    for (const t of times) expect(t).toBeLessThan(1000);
    expect(times.reduce((a, b) => a + b, 0) / times.length).toBeLessThan(300);
  });

  it('takes a literal % or _ in a text filter literally', async () => {
    expect((await store.queryCalls(captureId, { ...base, user: '%' })).total).toBe(0);
    expect((await store.queryCalls(captureId, { ...base, callId: '_' })).total).toBe(0);
  });

  it('returns every call party for the filters that cannot run in SQL', async () => {
    const parties = await store.callParties(captureId, { outcome: 'failed' }, 'startTime', false);
    expect(parties).toHaveLength(calls.filter((c) => c.outcome === 'failed').length);
    expect(parties[0]).toEqual({ callId: calls[4]!.callId, caller: calls[4]!.caller, callee: calls[4]!.callee });
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
