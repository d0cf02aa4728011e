// Durability: a restart keeps captures and share links; a server killed (kill -9) in the
// middle of an upload leaves no capture and no file, one killed in the middle of an
// analysis takes it up again at the next start (or, cut off too often, fails it with a
// way to retry), and one killed while building a capture's text index goes on from where
// the index reaches.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRaw } from '../../server/store/raw-text.js';
import { bigCapture } from './helpers/captures.js';
import { referenceAnalysis } from './helpers/reference.js';
import {
  corpusFile, getJson, sendJson, startServer, tempDir, textIndexDocuments, uploadRaw, waitIndexed, waitSettled, type ServerProcess,
} from './helpers/server.js';

const running: ServerProcess[] = [];

async function start(dataDir: string, options?: Record<string, unknown>): Promise<ServerProcess> {
  const server = await startServer({ dataDir, options });
  running.push(server);
  return server;
}

afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

/** The text index's watermark and its documents for a capture, read from the database of a stopped server. */
function textIndexOnDisk(dataDir: string, captureId: number): { watermark: number; documents: number } {
  const path = join(dataDir, 'sipladder.db');
  const db = new Database(path, { readonly: true });
  try {
    return { watermark: db.prepare('SELECT text_indexed FROM captures WHERE id = ?').pluck().get(captureId) as number, documents: textIndexDocuments(path, captureId) };
  } finally {
    db.close();
  }
}

/** Resolves once the capture's event stream reports analysis progress past zero bytes. */
async function firstProgress(base: string, id: number): Promise<void> {
  const r = await fetch(`${base}/api/captures/${id}/events`);
  const reader = r.body!.getReader();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the analysis ended before any progress: ${text}`);
    text += Buffer.from(value).toString();
    if (/event: ready|event: failed/.test(text)) throw new Error(`the analysis ended before the test could stop it: ${text}`);
    const progress = [...text.matchAll(/event: progress\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!));
    if (progress.some((p) => p.bytes > 0)) {
      await reader.cancel();
      return;
    }
  }
}

describe('restarts', () => {
  it('keeps captures, aliases and share links (same ladders), and revoked links stay revoked', async () => {
    const dataDir = tempDir('restart');
    let server = await start(dataDir);
    const { capture } = await (await uploadRaw(server.url, corpusFile('call-basic-udp'))).json();
    await waitIndexed(server.url, capture.id);
    const { items } = await getJson(`${server.url}/api/captures/${capture.id}/calls`);
    const callId = encodeURIComponent(items[0].callId);
    await sendJson('PUT', `${server.url}/api/captures/${capture.id}/aliases`, { aliases: { '127.0.0.1:15060': 'bob phone' } });
    const plain = (await (await sendJson('POST', `${server.url}/api/shares`, { captureId: capture.id, callIds: [items[0].callId] })).json()).token;
    const anonymous = (await (await sendJson('POST', `${server.url}/api/shares`, { captureId: capture.id, anonymize: true })).json()).token;
    const revoked = (await (await sendJson('POST', `${server.url}/api/shares`, { captureId: capture.id })).json()).token;
    expect((await fetch(`${server.url}/api/shares/${revoked}`, { method: 'DELETE' })).status).toBe(204);
    const before = {
      list: await getJson(`${server.url}/api/captures`),
      ladder: await getJson(`${server.url}/api/captures/${capture.id}/ladder?callIds=${callId}`),
      shared: await getJson(`${server.url}/api/s/${plain}/ladder`),
      anonymous: await getJson(`${server.url}/api/s/${anonymous}/ladder?callIds=${encodeURIComponent((await getJson(`${server.url}/api/s/${anonymous}/calls`)).items[0].callId)}`),
    };
    expect(before.ladder.lanes.map((l: { label: string }) => l.label)).toContain('bob phone');

    await server.stop();
    server = await start(dataDir);
    expect(await getJson(`${server.url}/api/captures`)).toEqual(before.list);
    expect(await getJson(`${server.url}/api/captures/${capture.id}/ladder?callIds=${callId}`)).toEqual(before.ladder);
    expect(await getJson(`${server.url}/api/s/${plain}/ladder`)).toEqual(before.shared);
    const anonymousCalls = await getJson(`${server.url}/api/s/${anonymous}/calls`);
    expect(await getJson(`${server.url}/api/s/${anonymous}/ladder?callIds=${encodeURIComponent(anonymousCalls.items[0].callId)}`)).toEqual(before.anonymous);
    expect((await fetch(`${server.url}/api/s/${revoked}`)).status).toBe(404);
  });

  it('leaves nothing of an upload cut off by kill -9', async () => {
    const dataDir = tempDir('kill-upload');
    let server = await start(dataDir);
    const head = readFileSync(corpusFile('callmix-udp-500', 'pcap')).subarray(0, 200_000);
    let sent!: () => void;
    const halfSent = new Promise<void>((resolve) => (sent = resolve));
    // Sends the first 200 kB, then waits forever: the upload never ends by itself.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(head);
        sent();
      },
    });
    const upload = fetch(`${server.url}/api/captures`, { method: 'POST', body, duplex: 'half' } as RequestInit).catch((e: Error) => e);
    await halfSent;
    const tmp = join(dataDir, 'tmp');
    for (let i = 0; i < 200 && readdirSync(tmp).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(readdirSync(tmp)).toHaveLength(1);
    await server.kill();
    expect(await upload).toBeInstanceOf(Error);

    server = await start(dataDir);
    expect((await getJson(`${server.url}/api/captures`)).items).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(join(dataDir, 'files'))).toEqual([]);
  });

  it('analyses again a capture whose analysis was cut off by kill -9', async () => {
    const dataDir = tempDir('kill-analysis');
    let server = await start(dataDir);
    const file = bigCapture(6);
    const { capture } = await (await uploadRaw(server.url, file, 'big.pcap')).json();
    await firstProgress(server.url, capture.id);
    await server.kill();

    server = await start(dataDir);
    const listed = (await getJson(`${server.url}/api/captures`)).items;
    expect(listed.map((c: { id: number; status: string }) => [c.id, c.status])).toEqual([[capture.id, 'analyzing']]);
    const done = await waitSettled(server.url, capture.id, 120_000);
    expect(done).toMatchObject({ status: 'ready', attempts: 2, messages: 6 * 3240 });
    // Each message is stored once: the rows of the cut-off run were dropped.
    const search = await getJson(`${server.url}/api/captures/${capture.id}/search?q=SIP/2.0&limit=1`);
    expect(search.total).toBe(6 * 3240);
    expect(existsSync(join(dataDir, 'files', capture.sha256))).toBe(true);
  }, 180_000);

  it('takes up a text index cut off by kill -9 where it reaches, and searches alike meanwhile', async () => {
    const dataDir = tempDir('kill-index');
    const file = bigCapture(6);
    const messages = 6 * 3240;
    // 50 messages a transaction: the index takes hundreds of steps to build.
    let server = await start(dataDir, { textIndexBatch: 50 });
    const { capture } = await (await uploadRaw(server.url, file, 'big.pcap')).json();
    const reference = await referenceAnalysis(file);
    const texts = reference.raws.map((r) => decodeRaw(r).text.toLowerCase());
    const searches = ['SIP/2.0', 'cseq: 2 bye', '127.0.0.1:15300', reference.messages[messages - 1]!.callId!];
    const expected = searches.map((q) => {
      const ids = texts.flatMap((t, id) => (t.includes(q.toLowerCase()) ? [id] : []));
      return { total: ids.length, ids: ids.slice(0, 100) };
    });
    const search = async (q: string) => {
      const r = await getJson(`${server.url}/api/captures/${capture.id}/search?q=${encodeURIComponent(q)}`);
      return { total: r.total, ids: r.items.map((h: { message: number }) => h.message) };
    };
    const poll = async () => {
      await new Promise((r) => setTimeout(r, 5));
      return getJson(`${server.url}/api/captures/${capture.id}`);
    };
    let summary = await waitSettled(server.url, capture.id, 120_000);
    while (summary.textIndexed === 0) summary = await poll();
    expect(summary.textIndexed).toBeLessThan(messages);
    for (const [i, q] of searches.entries()) expect(await search(q), q).toEqual(expected[i]);
    await server.kill();

    // Each step moved the watermark with its documents: the kill left them in step.
    const cut = textIndexOnDisk(dataDir, capture.id);
    expect(cut.watermark).toBeGreaterThan(0);
    expect(cut.watermark).toBeLessThan(messages);
    expect(cut.documents).toBe(cut.watermark);

    server = await start(dataDir);
    summary = await getJson(`${server.url}/api/captures/${capture.id}`);
    // The analysis stands; only the index is taken up.
    expect(summary).toMatchObject({ status: 'ready', attempts: 1, messages });
    summary = await waitIndexed(server.url, capture.id, 120_000);
    expect(summary.textIndexed).toBe(messages);
    for (const [i, q] of searches.entries()) expect(await search(q), q).toEqual(expected[i]);
    await server.stop();
    expect(textIndexOnDisk(dataDir, capture.id)).toEqual({ watermark: messages, documents: messages });
  }, 180_000);

  it('fails an analysis cut off three times, and runs it again on request', async () => {
    const dataDir = tempDir('kill-thrice');
    let server = await start(dataDir);
    const { capture } = await (await uploadRaw(server.url, bigCapture(6), 'big.pcap')).json();
    for (let attempt = 1; attempt <= 3; attempt++) {
      await firstProgress(server.url, capture.id);
      await server.kill();
      server = await start(dataDir);
    }
    const failed = await getJson(`${server.url}/api/captures/${capture.id}`);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3 });
    expect(failed.error).toBe(`the analysis was interrupted 3 times (the server stopped during it); retry it with POST /api/captures/${capture.id}/retry`);
    expect((await fetch(`${server.url}/api/captures/${capture.id}/calls`)).status).toBe(409);
    const retry = await fetch(`${server.url}/api/captures/${capture.id}/retry`, { method: 'POST' });
    expect(retry.status).toBe(202);
    expect(await waitSettled(server.url, capture.id, 120_000)).toMatchObject({ status: 'ready', attempts: 1 });
    expect((await fetch(`${server.url}/api/captures/${capture.id}/retry`, { method: 'POST' })).status).toBe(409);
  }, 240_000);
});
