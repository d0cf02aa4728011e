// Durability: a restart keeps captures and share links; a server killed (kill -9) in the
// middle of an upload leaves no capture and no file, and one killed in the middle of an
// analysis takes it up again at the next start (or, cut off too often, fails it with a
// way to retry).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bigCapture } from './helpers/captures.js';
import {
  corpusFile, getJson, sendJson, startServer, tempDir, uploadRaw, waitSettled, type ServerProcess,
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
    await waitSettled(server.url, capture.id);
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
