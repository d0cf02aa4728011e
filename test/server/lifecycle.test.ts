// The life of a capture beyond the happy path: a damaged file, analyses that fail (a worker
// out of memory, one that runs too long) while the server keeps answering; deletion; the
// preload of the bundled traces by `sipladder serve`; the knowledge base.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bigCapture } from './helpers/captures.js';
import {
  corpusFile, getJson, readEvents, ROOT, sendJson, startServer, tempDir, uploadRaw, waitSettled, type ServerProcess,
} from './helpers/server.js';

const running: ServerProcess[] = [];

async function start(options?: Record<string, unknown>, preload = false, dataDir?: string): Promise<ServerProcess> {
  const server = await startServer({ options, preload, dataDir });
  running.push(server);
  return server;
}

afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

describe('failed analyses', () => {
  it('analyses a damaged capture as far as it goes and shows the decoder\'s warnings', async () => {
    const server = await start();
    const path = join(tempDir('broken'), 'truncated.pcap');
    // The first 1000 bytes of a capture: a few packets, then one cut short.
    writeFileSync(path, readFileSync(corpusFile('call-basic-udp', 'pcap')).subarray(0, 1000));
    const { capture } = await (await uploadRaw(server.url, path)).json();
    const events = await readEvents(`${server.url}/api/captures/${capture.id}/events`);
    expect(events[events.length - 1]![0]).toBe('ready');
    const done = await getJson(`${server.url}/api/captures/${capture.id}`);
    expect(done.messages).toBeGreaterThan(0);
    expect(done.warnings.length).toBeGreaterThan(0);
    expect(done.warnings[0].message).toMatch(/\S/);
  });

  it('fails an analysis whose worker runs out of memory, and keeps serving', async () => {
    const server = await start({ workerMemoryMb: 8 });
    const { capture } = await (await uploadRaw(server.url, bigCapture(6), 'big.pcap')).json();
    const done = await waitSettled(server.url, capture.id, 120_000);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/^analysis (crashed|stopped)/);
    expect((await fetch(`${server.url}/api/captures`)).status).toBe(200);
    expect((await fetch(`${server.url}/api/captures/${capture.id}/calls`)).status).toBe(409);
    expect((await sendJson('POST', `${server.url}/api/shares`, { captureId: capture.id })).status).toBe(409);
    expect(readdirSync(join(server.dataDir, 'files'))).toEqual([capture.sha256]);
    // A failed analysis can be run again (here it fails again: same memory limit).
    const retry = await fetch(`${server.url}/api/captures/${capture.id}/retry`, { method: 'POST' });
    expect(retry.status).toBe(202);
    expect((await retry.json()).capture.status).toBe('analyzing');
    expect((await waitSettled(server.url, capture.id, 120_000)).status).toBe('failed');
  }, 120_000);

  it('stops an analysis that runs longer than allowed', async () => {
    // Long enough for a small capture even on a busy machine (a worker takes half a second to start), far too short for 40 MB.
    const server = await start({ analysisTimeoutMs: 2_000 });
    const { capture } = await (await uploadRaw(server.url, bigCapture(30), 'big.pcap')).json();
    const done = await waitSettled(server.url, capture.id, 60_000);
    expect(done).toMatchObject({ status: 'failed', error: 'analysis stopped after 2 s' });
    const small = await (await uploadRaw(server.url, corpusFile('call-basic-udp'))).json();
    expect((await waitSettled(server.url, small.capture.id)).status).toBe('ready');
  }, 60_000);
});

describe('deleting a capture', () => {
  it('removes its analysis, its file and its share links', async () => {
    const server = await start();
    const { capture } = await (await uploadRaw(server.url, corpusFile('call-basic-udp'))).json();
    await waitSettled(server.url, capture.id);
    const token = (await (await sendJson('POST', `${server.url}/api/shares`, { captureId: capture.id })).json()).token;
    expect((await fetch(`${server.url}/api/captures/${capture.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${server.url}/api/captures/${capture.id}`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/captures/${capture.id}/messages/0`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/s/${token}`)).status).toBe(404);
    expect(existsSync(join(server.dataDir, 'files', capture.sha256))).toBe(false);
    expect((await fetch(`${server.url}/api/captures/${capture.id}`, { method: 'DELETE' })).status).toBe(404);
    // The same bytes can come back as a new capture.
    const again = await uploadRaw(server.url, corpusFile('call-basic-udp'));
    expect(again.status).toBe(202);
    expect((await waitSettled(server.url, (await again.json()).capture.id)).status).toBe('ready');
  });

  it('stops its analysis first when it is still running', async () => {
    const server = await start();
    const { capture } = await (await uploadRaw(server.url, bigCapture(6), 'big.pcap')).json();
    const events = readEvents(`${server.url}/api/captures/${capture.id}/events`);
    await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`${server.url}/api/captures/${capture.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await events).pop()).toEqual(['failed', { reason: 'the capture was deleted' }]);
    expect((await getJson(`${server.url}/api/captures`)).items).toEqual([]);
    expect(readdirSync(join(server.dataDir, 'files'))).toEqual([]);
  });
});

describe('sipladder serve', () => {
  it('preloads the bundled traces once, by content', async () => {
    const dataDir = tempDir('preload');
    const traces = readdirSync(join(ROOT, 'traces')).filter((n) => /\.pcap(ng)?(\.gz)?$/.test(n)).sort();
    let server = await start(undefined, true, dataDir);
    const listed = (await getJson(`${server.url}/api/captures`)).items as { id: number; name: string }[];
    expect(listed.map((c) => c.name).sort()).toEqual(traces);
    for (const c of listed) expect((await waitSettled(server.url, c.id)).status, c.name).toBe('ready');
    await server.stop();
    running.length = 0;
    server = await start(undefined, true, dataDir);
    expect((await getJson(`${server.url}/api/captures`)).items).toHaveLength(traces.length);
  }, 120_000);

  it('serves the knowledge base', async () => {
    const server = await start();
    const knowledge = await getJson(`${server.url}/api/knowledge`);
    expect(knowledge.methods.length).toBeGreaterThan(10);
    expect(knowledge.responses.length).toBeGreaterThan(50);
    expect(knowledge.classes).toHaveLength(6);
    expect(JSON.stringify(knowledge)).toContain('INVITE');
    expect(readFileSync(join(ROOT, 'docs/API.md'), 'utf8')).toContain('/api/knowledge');
  });
});
