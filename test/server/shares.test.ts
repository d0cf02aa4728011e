// Share links: what each kind of share shows, that unknown, expired and revoked links look
// alike, the miss rate limit, and that an anonymised share leaks nothing it hides.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  corpusFile, CORPUS, getJson, sendJson, startServer, tempDir, uploadRaw, waitSettled, type ServerProcess,
} from './helpers/server.js';
import { readPcapFrames } from './helpers/pcap.js';

/** A stand-in for the built page: the server serves it for client routes. */
function webRootFixture(): string {
  const root = tempDir('web');
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>sipladder</title><script type="module" src="/assets/app.js"></script>');
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log("sipladder");');
  return root;
}

async function upload(server: ServerProcess, name: string): Promise<number> {
  const { capture } = await (await uploadRaw(server.url, corpusFile(name))).json();
  expect((await waitSettled(server.url, capture.id)).status).toBe('ready');
  return capture.id;
}

async function share(server: ServerProcess, body: Record<string, unknown>): Promise<string> {
  const r = await sendJson('POST', `${server.url}/api/shares`, body);
  expect(r.status).toBe(201);
  const created = await r.json();
  expect(created.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(created.url).toBe(`/s/${created.token}`);
  return created.token;
}

/** Status, body and headers of a response, without the ones that vary by time. */
async function snapshot(r: Response): Promise<unknown> {
  const headers = [...r.headers.entries()].filter(([k]) => k !== 'date' && k !== 'keep-alive' && k !== 'connection');
  return { status: r.status, body: await r.text(), headers };
}

describe('share links', () => {
  let server: ServerProcess;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    server = await startServer({ options: { webRoot: webRootFixture() } });
    for (const name of ['call-basic-udp', 'message-im', 'register-digest']) ids[name] = await upload(server, name);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('a capture share serves the whole capture, read-only', async () => {
    const id = ids['message-im']!;
    const token = await share(server, { captureId: id });
    const view = await getJson(`${server.url}/api/s/${token}`);
    expect(view.view).toEqual({ captureId: id, callIds: [], messageId: null, anonymized: false });
    expect(view.capture).toMatchObject({ id, status: 'ready', calls: 4, name: 'message-im.pcapng' });
    const own = await getJson(`${server.url}/api/captures/${id}/calls`);
    expect(await getJson(`${server.url}/api/s/${token}/calls`)).toEqual(own);
    expect(await getJson(`${server.url}/api/s/${token}/messages/3`)).toEqual(await getJson(`${server.url}/api/captures/${id}/messages/3`));
    // Nothing that changes the capture is reachable through the share.
    expect((await sendJson('PUT', `${server.url}/api/s/${token}/aliases`, { aliases: {} })).status).toBe(404);
    expect((await fetch(`${server.url}/api/s/${token}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('a call share shows those calls only', async () => {
    const id = ids['message-im']!;
    const { items } = await getJson(`${server.url}/api/captures/${id}/calls`);
    const [mine, other] = items as { callId: string }[];
    const token = await share(server, { captureId: id, callIds: [mine!.callId] });
    const base = `${server.url}/api/s/${token}`;
    expect((await getJson(base)).view.callIds).toEqual([mine!.callId]);
    const calls = await getJson(`${base}/calls`);
    expect(calls.items.map((c: { callId: string }) => c.callId)).toEqual([mine!.callId]);
    expect((await fetch(`${base}/calls/${encodeURIComponent(other!.callId)}`)).status).toBe(404);
    const detail = await getJson(`${base}/calls/${encodeURIComponent(mine!.callId)}`);
    const otherDetail = await getJson(`${server.url}/api/captures/${id}/calls/${encodeURIComponent(other!.callId)}`);
    expect((await fetch(`${base}/messages/${otherDetail.call.messages[0]}`)).status).toBe(404);
    expect((await fetch(`${base}/messages/${detail.call.messages[0]}`)).status).toBe(200);
    // Without callIds the ladder and the export cover the shared calls.
    const ladder = await getJson(`${base}/ladder`);
    expect(ladder.callIds).toEqual([mine!.callId]);
    expect((await fetch(`${base}/ladder?callIds=${encodeURIComponent(other!.callId)}`)).status).toBe(404);
    const search = await getJson(`${base}/search?q=MESSAGE`);
    expect(new Set(search.items.map((h: { callId: string }) => h.callId))).toEqual(new Set([mine!.callId]));
    const pcap = Buffer.from(await (await fetch(`${base}/export.pcap`)).arrayBuffer());
    const frames = detail.messages.flatMap((m: { frames: number[] }) => m.frames);
    expect(readPcapFrames(pcap).length).toBe(frames.length);
  });

  it('a share of one message shares its call and names the message', async () => {
    const id = ids['call-basic-udp']!;
    const token = await share(server, { captureId: id, messageId: 3 });
    const { view } = await getJson(`${server.url}/api/s/${token}`);
    const own = await getJson(`${server.url}/api/captures/${id}/messages/3`);
    expect(view).toEqual({ captureId: id, callIds: [own.message.callId], messageId: 3, anonymized: false });
  });

  it('refuses shares of unknown captures, calls and messages', async () => {
    expect((await sendJson('POST', `${server.url}/api/shares`, { captureId: 999 })).status).toBe(404);
    expect((await sendJson('POST', `${server.url}/api/shares`, { captureId: ids['message-im'], callIds: ['nope'] })).status).toBe(400);
    expect((await sendJson('POST', `${server.url}/api/shares`, { captureId: ids['message-im'], messageId: 99_999 })).status).toBe(400);
    expect((await sendJson('POST', `${server.url}/api/shares`, { captureId: ids['message-im'], secret: 'x' })).status).toBe(400);
  });

  it('answers unknown, expired and revoked links with the same 404', async () => {
    const id = ids['call-basic-udp']!;
    const expired = await share(server, { captureId: id, expiresInSeconds: 1 });
    const revoked = await share(server, { captureId: id });
    const live = await share(server, { captureId: id, expiresInSeconds: 3600 });
    expect((await fetch(`${server.url}/api/s/${expired}`)).status).toBe(200);
    expect((await fetch(`${server.url}/api/shares/${revoked}`, { method: 'DELETE' })).status).toBe(204);
    await new Promise((r) => setTimeout(r, 1100));
    const unknown = 'A'.repeat(43);
    for (const path of ['', '/calls', '/ladder', '/messages/0', '/export.pcap']) {
      const reference = await snapshot(await fetch(`${server.url}/api/s/${unknown}${path}`));
      expect(reference).toMatchObject({ status: 404, body: '{"error":"not found"}' });
      expect(await snapshot(await fetch(`${server.url}/api/s/${expired}${path}`))).toEqual(reference);
      expect(await snapshot(await fetch(`${server.url}/api/s/${revoked}${path}`))).toEqual(reference);
      expect(await snapshot(await fetch(`${server.url}/api/s/not-a-token${path}`))).toEqual(reference);
    }
    expect((await fetch(`${server.url}/api/shares/${revoked}`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${server.url}/api/s/${live}`)).status).toBe(200);
  });

  it('serves the page for /s/<token> whatever the token (the page asks the API)', async () => {
    const r = await fetch(`${server.url}/s/${'B'.repeat(43)}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await r.text()).toContain('<title>sipladder</title>');
  });
});

describe('share link rate limit', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('answers 429 with Retry-After once a client has missed too many tokens', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) statuses.push((await fetch(`${server.url}/api/s/${String(i).padStart(43, 'x')}`)).status);
    expect(statuses.slice(0, 30).every((s) => s === 404)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429]);
    const limited = await fetch(`${server.url}/api/s/${'y'.repeat(43)}/calls`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toEqual({ error: 'too many unknown share links; try again later' });
  });
});

/** What an anonymised share must never show, from the ground truth and the captured text. */
function secretsOf(name: string, raws: string[]): { words: string[]; ips: string[]; literal: string[] } {
  const truth = JSON.parse(readFileSync(join(CORPUS, name, 'messages.json'), 'utf8')) as { messages: Record<string, string | null>[] };
  const words = new Set<string>();
  const ips = new Set<string>();
  const literal = new Set<string>();
  for (const m of truth.messages) {
    for (const uri of [m.from_uri, m.to_uri, m.request_uri]) {
      const user = uri ? /^sips?:([^@;>]+)@/.exec(uri)?.[1] : undefined;
      if (user) words.add(user);
    }
    for (const endpoint of [m.src!, m.dst!]) ips.add(endpoint.startsWith('[') ? endpoint.slice(1, endpoint.indexOf(']')) : endpoint.slice(0, endpoint.lastIndexOf(':')));
    literal.add(m.call_id!);
  }
  for (const raw of raws) {
    for (const match of raw.matchAll(/\b(username|nonce|cnonce|response|opaque)="([^"]+)"/g)) literal.add(match[2]!);
    for (const match of raw.matchAll(/"([^"]+)"\s*</g)) for (const word of match[1]!.split(' ')) words.add(word);
  }
  return { words: [...words], ips: [...ips], literal: [...literal] };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('anonymised shares', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  const NAMES = [
    'call-basic-udp', 'call-basic-ipv6', 'register-digest', 'register-403-forbidden', 'message-im', 'subscribe-notify',
    'compact-headers-multipart', 'anomaly-2xx-never-acked', 'call-prack-update-info', 'tcp-big-sdp-segments', 'options-keepalive',
  ];

  it.each(NAMES)('%s: no user, number, display name, address, credential or Call-ID comes through', async (name) => {
    const id = await upload(server, name);
    const own = `${server.url}/api/captures/${id}`;
    const capture = await getJson(own);
    const raws: string[] = [];
    for (let m = 0; m < capture.messages; m++) raws.push((await getJson(`${own}/messages/${m}`)).raw);
    const secrets = secretsOf(name, raws);
    expect(secrets.words.length).toBeGreaterThan(0);

    const token = await share(server, { captureId: id, anonymize: true });
    const base = `${server.url}/api/s/${token}`;
    const seen: string[] = [];
    const get = async (path: string) => {
      const r = await fetch(base + path);
      expect(r.status, path).toBe(200);
      const body = Buffer.from(await r.arrayBuffer());
      seen.push(body.toString('latin1'), body.toString('utf8'));
      return body;
    };
    const view = JSON.parse((await get('')).toString());
    expect(view.view.anonymized).toBe(true);
    const calls = JSON.parse((await get('/calls?limit=500')).toString());
    expect(calls.total).toBe(capture.calls);
    for (const call of calls.items) {
      const detail = JSON.parse((await get(`/calls/${encodeURIComponent(call.callId)}`)).toString());
      expect(detail.messages.length).toBe(call.messageCount);
      await get(`/ladder?callIds=${encodeURIComponent(call.callId)}&merge=host`);
      await get(`/ladder?callIds=${encodeURIComponent(call.callId)}`);
      // Text filters match the pseudonyms, never the originals.
      expect(JSON.parse((await get(`/calls?callId=${encodeURIComponent(call.callId)}`)).toString()).total).toBeGreaterThan(0);
    }
    for (let m = 0; m < capture.messages; m++) {
      const message = JSON.parse((await get(`/messages/${m}`)).toString());
      // The anonymised text is still SIP, with a Content-Length that fits its body.
      const bodyBytes = Buffer.byteLength(message.body, message.rawEncoding);
      expect(message.message.bodyLength).toBe(bodyBytes);
      expect(Number(/^(?:Content-Length|l)[ \t]*:[ \t]*(\d+)/im.exec(message.raw)![1])).toBe(bodyBytes);
      expect(message.message.size).toBe(Buffer.byteLength(message.raw, message.rawEncoding));
    }
    // Sorting by name sorts the pseudonyms.
    const callees = JSON.parse((await get('/calls?sort=-callee&limit=500')).toString()).items
      .map((c: { callee: { user: string | null; display: string | null; uri: string | null } }) => (c.callee.user ?? c.callee.display ?? c.callee.uri ?? '').toLowerCase());
    expect(callees).toEqual([...callees].sort().reverse());
    await get('/registrations');
    await get('/anomalies');
    const hits = JSON.parse((await get('/search?q=SIP/2.0')).toString());
    expect(hits.total).toBe(capture.messages);
    for (const word of secrets.words.filter((w) => w.length >= 3)) {
      expect(JSON.parse((await get(`/search?q=${encodeURIComponent(word)}`)).toString()).total, word).toBe(0);
      expect(JSON.parse((await get(`/calls?q=${encodeURIComponent(word)}`)).toString()).total, word).toBe(0);
    }
    const pcap = await get('/export.pcap');
    expect(readPcapFrames(pcap).length).toBe(capture.messages);

    const everything = seen.join('\n');
    for (const word of secrets.words) {
      expect(everything, `user or name ${word}`).not.toMatch(new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(word)}(?![A-Za-z0-9])`, 'i'));
    }
    for (const ip of secrets.ips) {
      const pattern = ip.includes(':') ? `(?<![0-9A-Fa-f:])${escapeRegExp(ip)}(?![0-9A-Fa-f:])` : `(?<![\\d.])${escapeRegExp(ip)}(?!\\d|\\.\\d)`;
      expect(everything, `address ${ip}`).not.toMatch(new RegExp(pattern));
    }
    for (const value of secrets.literal) expect(everything.includes(value), `value ${value}`).toBe(false);
  });
});
