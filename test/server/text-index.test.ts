// The message text index, built after the analysis a batch at a time
// (SqliteStore.indexMessageText, in the server by TextIndexer): a search finds the same
// messages, with the same total and the same snippets, whether the index reaches none, part
// or all of a capture, and the capture's watermark moves with each batch. The expected hits
// are found in JavaScript, on each message's raw text.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../server/store/migrations.js';
import { decodeRaw } from '../../server/store/raw-text.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';
import type { AnalysisSummary, MessageToStore, SearchHit } from '../../server/store/Store.js';
import type { SipStats } from '../../src/model.js';
import { referenceAnalysis, type ReferenceMessage } from './helpers/reference.js';
import { corpusFile, getJson, sendJson, startServer, tempDir, textIndexDocuments, uploadRaw, waitSettled, type ServerProcess } from './helpers/server.js';

interface StoredCapture {
  id: number;
  messages: ReferenceMessage[];
  raws: Buffer[];
}

function toStore(m: ReferenceMessage, raw: Buffer): MessageToStore {
  return { message: m, raw, link: { transaction: m.transaction, dialog: m.dialog, retransmissionOf: m.retransmissionOf } };
}

function summaryOf(name: string, messages: number): AnalysisSummary {
  return {
    file: { name, format: 'pcapng', compression: null, linkTypes: [1], packets: messages, bytes: 1 },
    warnings: [],
    firstTime: null,
    lastTime: null,
    messages,
    identities: { users: [], displays: [] },
  };
}

/** Stores the messages of a capture as an analysis does, and makes it ready: nothing of it is indexed yet. */
async function storeCapture(store: SqliteStore, name: string, messages: ReferenceMessage[], raws: Buffer[], stats: SipStats): Promise<StoredCapture> {
  const { capture } = await store.addCapture({ name, size: 1, sha256: name.padEnd(64, '0') });
  await store.beginAnalysis(capture.id);
  const writer = store.analysisWriter(capture.id);
  await writer.addMessages(messages.map((m, i) => toStore(m, raws[i]!)));
  await writer.finish(summaryOf(name, messages.length), { anomalyIds: new Int32Array(0), callAnomalies: new Map(), legs: new Map(), stats });
  return { id: capture.id, messages, raws };
}

async function storeCorpusCapture(store: SqliteStore, name: string): Promise<StoredCapture> {
  const { messages, raws, analysis } = await referenceAnalysis(corpusFile(name));
  return storeCapture(store, name, messages, raws, analysis.stats);
}

/** The ids of the messages whose raw text holds `text`, whatever its case, in id order. */
function expectedIds(c: StoredCapture, text: string, callIds: readonly string[] | null): number[] {
  const needle = text.toLowerCase();
  return c.messages
    .filter((m, i) => (callIds === null || (m.callId !== null && callIds.includes(m.callId))) && decodeRaw(c.raws[i]!).text.toLowerCase().includes(needle))
    .map((m) => m.id);
}

interface Search {
  text: string;
  limit: number;
  callIds: string[] | null;
}

async function searchAll(store: SqliteStore, c: StoredCapture, searches: Search[]): Promise<{ total: number; items: SearchHit[] }[]> {
  const out = [];
  for (const s of searches) out.push(await store.searchMessages(c.id, s.text, s.limit, s.callIds));
  return out;
}

/** Builds the index `batch` messages at a time; after each step, every search must answer exactly `expected`. */
async function expectSameAtEveryStep(store: SqliteStore, c: StoredCapture, searches: Search[], batch: number): Promise<number[]> {
  const expected = await searchAll(store, c, searches);
  searches.forEach((s, i) => {
    const ids = expectedIds(c, s.text, s.callIds);
    expect({ total: expected[i]!.total, ids: expected[i]!.items.map((h) => h.message) }, s.text).toEqual({ total: ids.length, ids: ids.slice(0, s.limit) });
  });
  const watermarks = [(await store.capture(c.id))!.textIndexed];
  for (;;) {
    const step = (await store.indexMessageText(c.id, batch))!;
    watermarks.push(step.indexed);
    expect((await store.capture(c.id))!.textIndexed).toBe(step.indexed);
    expect(await searchAll(store, c, searches)).toEqual(expected);
    if (step.complete) return watermarks;
  }
}


describe('searching messages while their text index is built', () => {
  const path = join(tempDir('text-index'), 'test.db');
  let store: SqliteStore;

  beforeAll(() => {
    store = new SqliteStore(path);
  });

  afterAll(async () => {
    await store.close();
  });

  it('finds the same messages, total and snippets before, during and after the building (the 500-call mix)', async () => {
    const c = await storeCorpusCapture(store, 'callmix-udp-500');
    expect(c.messages).toHaveLength(3240);
    const late = c.messages[3000]!;
    const callee = /^To: <sip:(\d+)@/m.exec(decodeRaw(c.raws[late.id]!).text)![1]!;
    const scope = [c.messages[5]!.callId!, late.callId!];
    const searches: Search[] = [
      // A Call-ID fragment (found late in the capture), a phone number, an IP address and port.
      { text: late.callId!.slice(0, -4), limit: 100, callIds: null },
      { text: callee.slice(1), limit: 100, callIds: null },
      { text: '127.0.0.1:15300', limit: 100, callIds: null },
      // A rare phrase, in another case than written.
      { text: 'service UNAVAILABLE', limit: 100, callIds: null },
      // In every message: the first hits are on both sides of the watermark at some step.
      { text: 'SIP/2.0', limit: 100, callIds: null },
      { text: 'sip/2.0', limit: 1500, callIds: null },
      { text: 'CALL-ID: ', limit: 3, callIds: null },
      { text: 'not in any message', limit: 100, callIds: null },
      // A share's calls only.
      { text: 'SIP/2.0', limit: 100, callIds: scope },
      { text: 'CSeq: 1 INVITE', limit: 2, callIds: scope },
    ];
    const watermarks = await expectSameAtEveryStep(store, c, searches, 1000);
    expect(watermarks).toEqual([0, 1000, 2000, 3000, 3240]);
    expect(textIndexDocuments(path, c.id)).toBe(3240);
  }, 60_000);

  it('folds the case of text beyond ASCII as the index does, in UTF-8 and in bytes that are not (read as latin1)', async () => {
    const { messages, raws, analysis } = await referenceAnalysis(corpusFile('message-im'));
    // Two more copies of the first MESSAGE, under ids of their own, the body's text replaced.
    const first = raws.findIndex((r) => r.toString('latin1').startsWith('MESSAGE '));
    const withBody = (body: Buffer) => {
      const text = raws[first]!.toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n') + 4;
      const head = text.slice(0, headEnd).replace(/Content-Length: *\d+/i, `Content-Length: ${body.length}`);
      return Buffer.concat([Buffer.from(head, 'latin1'), body]);
    };
    const variants = [withBody(Buffer.from('Grüße an ZOË Ünal', 'utf8')), withBody(Buffer.from('Grüße an ZOË Ünal', 'latin1'))];
    expect(decodeRaw(variants[0]!).encoding).toBe('utf8');
    expect(decodeRaw(variants[1]!).encoding).toBe('latin1');
    const all = [...messages, ...variants.map((_, i) => ({ ...messages[first]!, id: messages.length + i }))];
    const c = await storeCapture(store, 'message-im-accents', all, [...raws, ...variants], analysis.stats);
    const searches: Search[] = ['ünal', 'GRÜSSE', 'grüße', 'zoë', 'unal', 'an ZO', 'a😀'].map((text) => ({ text, limit: 10, callIds: null }));
    const before = await searchAll(store, c, searches);
    expect(before.map((r) => r.total)).toEqual([2, 0, 2, 2, 0, 2, 0]);
    await expectSameAtEveryStep(store, c, searches, 5);
  });

  it('moves the watermark a batch at a time, lists the captures left to index, and starts over with a new analysis', async () => {
    const c = await storeCorpusCapture(store, 'call-basic-udp');
    expect(await store.capturesToIndex()).toContain(c.id);
    expect(await store.indexMessageText(c.id, 3)).toEqual({ indexed: 3, complete: false });
    expect(await store.indexMessageText(c.id, 3)).toEqual({ indexed: 6, complete: false });
    expect(textIndexDocuments(path, c.id)).toBe(6);
    expect(await store.indexMessageText(c.id, 3)).toEqual({ indexed: 7, complete: true });
    expect(await store.indexMessageText(c.id, 3)).toEqual({ indexed: 7, complete: true });
    expect(await store.capturesToIndex()).not.toContain(c.id);
    expect(textIndexDocuments(path, c.id)).toBe(7);

    // A new analysis drops the index with the messages; nothing is indexed until it is ready.
    await store.beginAnalysis(c.id);
    expect((await store.capture(c.id))!.textIndexed).toBe(0);
    expect(textIndexDocuments(path, c.id)).toBe(0);
    expect(await store.indexMessageText(c.id, 3)).toBeNull();
    await store.failAnalysis(c.id, 'stopped for the test');
    expect(await store.indexMessageText(c.id, 3)).toBeNull();
    expect(await store.capturesToIndex()).not.toContain(c.id);

    await store.deleteCapture(c.id);
    expect(await store.indexMessageText(c.id, 3)).toBeNull();
  });
});

describe('upgrading a database', () => {
  it('counts the captures analysed before as fully indexed, and lets the index gather its pending data in 64 MiB', async () => {
    const path = join(tempDir('text-index-v4'), 'old.db');
    const db = new Database(path);
    MIGRATIONS.slice(0, 4).forEach((step) => db.exec(step));
    db.pragma('user_version = 4');
    const insert = db.prepare(`INSERT INTO captures (id, name, size, sha256, status, created_at, messages) VALUES (?, ?, 1, ?, ?, '2026-01-01', ?)`);
    insert.run(1, 'ready', 'a'.repeat(64), 'ready', 7);
    insert.run(2, 'cut off', 'b'.repeat(64), 'analyzing', null);
    db.close();
    const store = new SqliteStore(path);
    try {
      expect((await store.listCaptures()).map((c) => [c.id, c.textIndexed])).toEqual([[2, 0], [1, 7]]);
      expect(await store.capturesToIndex()).toEqual([]);
    } finally {
      await store.close();
    }
    const upgraded = new Database(path, { readonly: true });
    expect(upgraded.prepare(`SELECT v FROM messages_fts_config WHERE k = 'hashsize'`).pluck().get()).toBe(64 * 1024 * 1024);
    upgraded.close();
  });
});

describe('the search endpoint while the server builds the text index', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    // Ten messages a transaction: the 500-call mix takes hundreds of steps to index.
    server = await startServer({ options: { textIndexBatch: 10 } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('answers a capture and a share of some of its calls the same before and after the index reaches every message', async () => {
    const file = corpusFile('callmix-udp-500');
    const { messages, raws } = await referenceAnalysis(file);
    const c: StoredCapture = { id: 0, messages, raws };
    const { capture } = await (await uploadRaw(server.url, file)).json();
    let summary = await waitSettled(server.url, capture.id);
    expect(summary.status).toBe('ready');
    const shared = [messages[100]!.callId!, messages[3000]!.callId!];
    const token = (await (await sendJson('POST', `${server.url}/api/shares`, { captureId: capture.id, callIds: shared })).json()).token;
    const searches: [base: string, search: Search][] = [
      ...['INVITE sip:', 'busy here', messages[3000]!.callId!, 'nowhere to be found'].map((text): [string, Search] =>
        [`/api/captures/${capture.id}`, { text, limit: 100, callIds: null }]),
      [`/api/captures/${capture.id}`, { text: 'SIP/2.0', limit: 500, callIds: null }],
      [`/api/s/${token}`, { text: 'SIP/2.0', limit: 100, callIds: shared }],
    ];
    const expected = searches.map(([, s]) => {
      const ids = expectedIds(c, s.text, s.callIds);
      return { total: ids.length, ids: ids.slice(0, s.limit) };
    });
    const answers = async () => {
      const out = [];
      for (const [base, s] of searches) {
        const r = await getJson(`${server.url}${base}/search?q=${encodeURIComponent(s.text)}&limit=${s.limit}`);
        out.push({ total: r.total, ids: r.items.map((h: SearchHit) => h.message) });
      }
      return out;
    };

    const watermarks: number[] = [];
    for (;;) {
      watermarks.push(summary.textIndexed);
      expect(await answers(), `with ${summary.textIndexed} messages indexed`).toEqual(expected);
      if (summary.textIndexed === messages.length) break;
      summary = await getJson(`${server.url}/api/captures/${capture.id}`);
    }
    expect(watermarks.some((w) => w > 0 && w < messages.length), watermarks.join(' ')).toBe(true);
  }, 60_000);
});
