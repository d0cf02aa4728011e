// Uploads: multipart and raw bodies, content addressing, refusals that leave nothing behind,
// concurrent uploads, progress over SSE, and the queue limit.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigCapture } from './helpers/captures.js';
import {
  corpusFile, getJson, readEvents, startServer, uploadMultipart, uploadRaw, waitSettled, type ServerProcess,
} from './helpers/server.js';

function captureRows(dataDir: string): number {
  const db = new Database(join(dataDir, 'sipladder.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM captures').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function filesIn(dataDir: string, dir: 'files' | 'tmp'): string[] {
  return readdirSync(join(dataDir, dir));
}

describe('uploads', () => {
  let server: ServerProcess;
  const LIMIT = 200_000;

  beforeAll(async () => {
    server = await startServer({ options: { maxUploadBytes: LIMIT } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('stores a multipart upload under its sha256 and analyses it', async () => {
    const r = await uploadMultipart(server.url, corpusFile('call-basic-udp'), 'basic.pcapng');
    expect(r.status).toBe(202);
    const { capture } = await r.json();
    expect(capture).toMatchObject({ name: 'basic.pcapng', size: readFileSync(corpusFile('call-basic-udp')).length, status: 'analyzing' });
    expect(capture.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(filesIn(server.dataDir, 'files')).toContain(capture.sha256);
    const done = await waitSettled(server.url, capture.id);
    expect(done).toMatchObject({ status: 'ready', messages: 7, calls: 1, file: { name: 'basic.pcapng', format: 'pcapng', linkTypes: [1] } });
  });

  it('takes the raw file as the body with its name in X-File-Name', async () => {
    const r = await uploadRaw(server.url, corpusFile('call-486-busy', 'pcap'), '../../etc/busy é.pcap');
    expect(r.status).toBe(202);
    const { capture } = await r.json();
    // The name is metadata only: its directories are dropped.
    expect(capture.name).toBe('busy é.pcap');
    expect(await waitSettled(server.url, capture.id)).toMatchObject({ status: 'ready', file: { format: 'pcap' } });
  });

  it('stores the same bytes once and answers with the existing capture', async () => {
    const first = await (await uploadRaw(server.url, corpusFile('message-im'))).json();
    const before = filesIn(server.dataDir, 'files').length;
    const again = await uploadMultipart(server.url, corpusFile('message-im'), 'copy.pcapng');
    expect(again.status).toBe(200);
    const second = await again.json();
    expect(second.existing).toBe(true);
    expect(second.capture.id).toBe(first.capture.id);
    expect(filesIn(server.dataDir, 'files').length).toBe(before);
    const { items } = await getJson(`${server.url}/api/captures`);
    expect(items.filter((c: { sha256: string }) => c.sha256 === first.capture.sha256)).toHaveLength(1);
  });

  it('refuses a file that is no capture with 415 and keeps nothing of it', async () => {
    const rows = captureRows(server.dataDir);
    const files = filesIn(server.dataDir, 'files');
    const html = Buffer.from('<!DOCTYPE html>\n<html><body>Not found</body></html>\n');
    for (const send of [
      () => fetch(`${server.url}/api/captures`, { method: 'POST', body: html, headers: { 'x-file-name': 'trace.pcap' } }),
      () => {
        const form = new FormData();
        form.append('file', new Blob([html]), 'trace.pcap');
        return fetch(`${server.url}/api/captures`, { method: 'POST', body: form });
      },
    ]) {
      const r = await send();
      expect(r.status).toBe(415);
      expect(await r.json()).toEqual({ error: 'not a capture file: starts with 3c 21 44 4f (looks like HTML)' });
    }
    const gzipText = await fetch(`${server.url}/api/captures`, { method: 'POST', body: (await import('node:zlib')).gzipSync(html) });
    expect(gzipText.status).toBe(415);
    expect((await gzipText.json()).error).toMatch(/gzip-compressed data whose content starts with 3c 21 44 4f \(looks like HTML\)/);
    expect(captureRows(server.dataDir)).toBe(rows);
    expect(filesIn(server.dataDir, 'files')).toEqual(files);
    expect(filesIn(server.dataDir, 'tmp')).toEqual([]);
  });

  it('refuses a file over the size limit with 413, even when its length is not announced, and keeps nothing', async () => {
    const rows = captureRows(server.dataDir);
    const files = filesIn(server.dataDir, 'files');
    const big = readFileSync(corpusFile('callmix-udp-500'));
    expect(big.length).toBeGreaterThan(LIMIT);
    const declared = await fetch(`${server.url}/api/captures`, { method: 'POST', body: big });
    expect(declared.status).toBe(413);
    expect((await declared.json()).error).toMatch(/larger than the limit of 200000 bytes/);
    const multipart = await uploadMultipart(server.url, corpusFile('callmix-udp-500'));
    expect(multipart.status).toBe(413);
    // Chunked: the server only learns the size by counting.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < big.length; i += 16_384) controller.enqueue(big.subarray(i, i + 16_384));
        controller.close();
      },
    });
    const chunked = await fetch(`${server.url}/api/captures`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await chunked.json()).toEqual({ error: 'the file is larger than the limit of 200000 bytes' });
    expect(captureRows(server.dataDir)).toBe(rows);
    expect(filesIn(server.dataDir, 'files')).toEqual(files);
    expect(filesIn(server.dataDir, 'tmp')).toEqual([]);
  });

  it('refuses a multipart request without the file field', async () => {
    const form = new FormData();
    form.append('other', 'x');
    const r = await fetch(`${server.url}/api/captures`, { method: 'POST', body: form });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ error: 'no file in the multipart field "file"' });
  });

  it('keeps concurrent uploads apart', async () => {
    const names = ['call-basic-tcp', 'call-cancel-487', 'register-digest', 'options-keepalive'];
    const responses = await Promise.all(names.map((n, i) => (i % 2 ? uploadRaw : uploadMultipart)(server.url, corpusFile(n))));
    const captures = await Promise.all(responses.map(async (r) => (await r.json()).capture));
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202]);
    expect(new Set(captures.map((c) => c.id)).size).toBe(4);
    const settled = await Promise.all(captures.map((c) => waitSettled(server.url, c.id)));
    expect(settled.map((c) => [c.name, c.status, c.messages])).toEqual([
      ['call-basic-tcp.pcapng', 'ready', 21],
      ['call-cancel-487.pcapng', 'ready', 7],
      ['register-digest.pcapng', 'ready', 6],
      ['options-keepalive.pcapng', 'ready', 20],
    ]);
  });

  it('reports analysis progress over SSE until ready', async () => {
    const r = await uploadRaw(server.url, corpusFile('subscribe-notify'));
    const { capture } = await r.json();
    const events = await readEvents(`${server.url}/api/captures/${capture.id}/events`);
    const last = events[events.length - 1]!;
    expect(last[0]).toBe('ready');
    expect(last[1]).toMatchObject({ id: capture.id, status: 'ready', messages: 10 });
    for (const [event, data] of events.slice(0, -1)) {
      expect(event).toBe('progress');
      expect(data).toMatchObject({ phase: 'analysis', totalBytes: capture.size });
    }
    // A finished capture answers at once.
    expect(await readEvents(`${server.url}/api/captures/${capture.id}/events`)).toEqual([['ready', expect.objectContaining({ id: capture.id })]]);
  });
});

describe('the analysis queue', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer({ options: { maxConcurrentAnalyses: 1, maxQueuedAnalyses: 1 } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('runs one analysis at a time, queues one, and refuses more with 503 and Retry-After', async () => {
    const slow = await (await uploadRaw(server.url, bigCapture(4), 'slow.pcap')).json();
    const queued = await (await uploadRaw(server.url, corpusFile('call-basic-udp'))).json();
    const refused = await uploadRaw(server.url, corpusFile('call-486-busy'));
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toEqual({ error: 'too many analyses are waiting; try again later' });
    const events = await readEvents(`${server.url}/api/captures/${slow.capture.id}/events`);
    expect(events.some(([e, d]) => e === 'progress' && d.bytes > 0 && d.messages > 0)).toBe(true);
    expect(events[events.length - 1]![0]).toBe('ready');
    expect((await waitSettled(server.url, queued.capture.id)).status).toBe('ready');
    expect((await uploadRaw(server.url, corpusFile('call-486-busy'))).status).toBe(202);
  }, 120_000);
});
