// Abuse over real HTTP on loopback, against `sipladder serve` started with its limit flags:
// uploads over the size limit, uploads that stall midway, more uploads or analyses at once
// than allowed, malformed JSON, ids carrying path characters, huge query strings, share-token
// guessing. Each is answered with a plain 4xx/5xx JSON error, and afterwards nothing has
// changed: the same captures, no file stored or left half-written, the server still answers.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigCapture } from './helpers/captures.js';
import { corpusFile, getJson, ROOT, sendJson, startServer, uploadRaw, waitIndexed, waitSettled, type ServerProcess } from './helpers/server.js';

const UPLOAD_LIMIT = 100 * 1024;
const UPLOAD_TIMEOUT_S = 2;

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the first byte sent to the end of the answer. */
  elapsedMs: number;
}

/** Sends raw bytes on a new connection and reads the answer until the server closes it (or `timeoutMs`). */
function rawRequest(url: string, bytes: Buffer, timeoutMs = 30_000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, elapsedMs: Date.now() - started });
    });
  });
}

/** The headers of a raw upload announcing `length` bytes. */
function uploadHead(length: number): Buffer {
  return Buffer.from(`POST /api/captures HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${length}\r\nX-File-Name: stalled.pcapng\r\n\r\n`);
}

/** What must not change: the captures listed, the stored files, nothing half-written. */
interface DataState {
  captures: unknown;
  files: string[];
  tmp: string[];
}

async function dataState(server: ServerProcess): Promise<DataState> {
  return {
    captures: await getJson(`${server.url}/api/captures`),
    files: readdirSync(join(server.dataDir, 'files')).sort(),
    tmp: readdirSync(join(server.dataDir, 'tmp')),
  };
}

/** The state is `before` again (a refused upload's temporary file may take a moment to go) and the server answers. */
async function expectUnchanged(server: ServerProcess, before: DataState): Promise<void> {
  const deadline = Date.now() + 5_000;
  let now = await dataState(server);
  while (now.tmp.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    now = await dataState(server);
  }
  expect(now).toEqual(before);
  expect(before.tmp).toEqual([]);
}

async function expectJsonError(r: Response, status: number): Promise<string> {
  expect(r.status, r.url).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  const body = await r.json();
  expect(Object.keys(body)).toEqual(['error']);
  return body.error as string;
}

function parseRawError(answer: RawAnswer, status: number): string {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body);
  expect(Object.keys(body)).toEqual(['error']);
  return body.error as string;
}

describe('sipladder serve --max-upload 100K --max-uploads 2 --upload-timeout 2', () => {
  let server: ServerProcess;
  let id: number;
  let base: string;

  beforeAll(async () => {
    server = await startServer({ args: ['--max-upload', '100K', '--max-uploads', '2', '--upload-timeout', String(UPLOAD_TIMEOUT_S)] });
    id = (await (await uploadRaw(server.url, corpusFile('call-basic-udp'))).json()).capture.id;
    // The tests compare the data directory before and after: nothing may still be building.
    await waitIndexed(server.url, id);
    base = `${server.url}/api/captures/${id}`;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('refuses an upload over --max-upload with 413, announced or not, and keeps nothing', async () => {
    const before = await dataState(server);
    const big = readFileSync(corpusFile('callmix-udp-500'));
    expect(big.length).toBeGreaterThan(UPLOAD_LIMIT);
    const declared = await fetch(`${server.url}/api/captures`, { method: 'POST', body: big });
    expect(await expectJsonError(declared, 413)).toBe(`the upload (${big.length} bytes) is larger than the limit of ${UPLOAD_LIMIT} bytes`);
    const chunked = await fetch(`${server.url}/api/captures`, {
      method: 'POST',
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < big.length; i += 16_384) controller.enqueue(big.subarray(i, i + 16_384));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(await expectJsonError(chunked, 413)).toBe(`the file is larger than the limit of ${UPLOAD_LIMIT} bytes`);
    await expectUnchanged(server, before);
  });

  it('answers an upload that stalls midway with 408 after --upload-timeout, closes it and keeps nothing', async () => {
    const before = await dataState(server);
    const capture = readFileSync(corpusFile('call-basic-udp'));
    // Part of a real capture (past the format check), then nothing.
    const answer = await rawRequest(server.url, Buffer.concat([uploadHead(capture.length), capture.subarray(0, 1_000)]));
    expect(parseRawError(answer, 408)).toBe(`the request body stalled: nothing received for ${UPLOAD_TIMEOUT_S} s`);
    expect(answer.headers.connection).toBe('close');
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(UPLOAD_TIMEOUT_S * 1000 - 100);
    await expectUnchanged(server, before);
    // Multipart, stalled inside the file part and before it began.
    const partHead = '--b0undary\r\nContent-Disposition: form-data; name="file"; filename="stalled.pcapng"\r\nContent-Type: application/octet-stream\r\n\r\n';
    const multipart = (body: Buffer) => Buffer.concat([
      Buffer.from(`POST /api/captures HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=b0undary\r\nContent-Length: 50000\r\n\r\n`), body,
    ]);
    const answers = await Promise.all([
      rawRequest(server.url, multipart(Buffer.concat([Buffer.from(partHead), capture.subarray(0, 1_000)]))),
      rawRequest(server.url, multipart(Buffer.from(partHead.slice(0, 20)))),
    ]);
    for (const a of answers) expect(parseRawError(a, 408)).toMatch(/stalled/);
    await expectUnchanged(server, before);
    // A JSON body that stalls is cut off the same way.
    const json = await rawRequest(server.url, Buffer.from('POST /api/shares HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"captureId":'));
    expect(parseRawError(json, 408)).toMatch(/stalled/);
    await expectUnchanged(server, before);
  });

  it('refuses a third upload at once with 503 and Retry-After while two are in progress, then takes uploads again', async () => {
    const before = await dataState(server);
    const capture = readFileSync(corpusFile('call-basic-udp'));
    const stalled = [1, 2].map(() => rawRequest(server.url, Buffer.concat([uploadHead(capture.length), capture.subarray(0, 1_000)])));
    // Both are received (their first bytes written) before the third comes.
    const deadline = Date.now() + 5_000;
    while (readdirSync(join(server.dataDir, 'tmp')).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const refused = await uploadRaw(server.url, corpusFile('call-486-busy'));
    expect(await expectJsonError(refused, 503)).toBe('too many uploads in progress; try again later');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    for (const answer of await Promise.all(stalled)) expect(parseRawError(answer, 408)).toMatch(/stalled/);
    await expectUnchanged(server, before);
    // The stalled uploads gave their places back.
    const accepted = await uploadRaw(server.url, corpusFile('call-486-busy'));
    expect(accepted.status).toBe(202);
    expect((await waitIndexed(server.url, (await accepted.json()).capture.id)).status).toBe('ready');
  });

  it('refuses malformed JSON bodies with 400 and changes nothing', async () => {
    const before = await dataState(server);
    for (const body of ['{"captureId":', '{"captureId": 1,}', 'null', '[]', '"text"', '{"captureId": NaN}']) {
      const r = await fetch(`${server.url}/api/shares`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(await expectJsonError(r, 400), body).toMatch(/^(malformed JSON body|invalid body)/);
    }
    await sendJson('PUT', `${base}/aliases`, { aliases: { '10.0.0.1': 'kept' } });
    const aliases = await fetch(`${base}/aliases`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"aliases": {"10.0.0.2": "x"' });
    expect(await expectJsonError(aliases, 400)).toBe('malformed JSON body');
    expect((await getJson(base)).aliases).toEqual({ '10.0.0.1': 'kept' });
    await expectUnchanged(server, before);
  });

  it('refuses ids with path characters (..%2F, %00) with a JSON 4xx and changes nothing', async () => {
    const before = await dataState(server);
    const cases: [string, number, RegExp][] = [
      ['/api/captures/..%2F..%2Fsipladder.db', 400, /^invalid capture id/],
      ['/api/captures/%2E%2E%2Ffiles', 400, /^invalid capture id/],
      [`/api/captures/${id}%00`, 400, /^invalid capture id/],
      ['/api/captures/%00', 400, /^invalid capture id/],
      [`/api/captures/${id}%2F..%2F..%2Fetc%2Fpasswd/calls`, 400, /^invalid capture id/],
      [`/api/captures/${id}/messages/0%00`, 400, /^invalid message id/],
      [`/api/captures/${id}/messages/..%2F..%2Fsipladder.db`, 400, /^invalid message id/],
      [`/api/captures/${id}/calls/..%2F..%2Fetc%2Fpasswd%00`, 404, /^no such call$/],
      [`/api/captures/${id}/calls/%00`, 404, /^no such call$/],
      [`/api/captures/${id}/ladder?callIds=..%2F..%2Fx%00`, 404, /^no such call$/],
      ['/api/s/..%2F..%2Fsipladder.db', 404, /^not found$/],
      [`/api/s/${'a'.repeat(42)}%00/calls`, 404, /^not found$/],
    ];
    for (const [path, status, reason] of cases) {
      for (const method of ['GET', 'DELETE']) {
        if (method === 'DELETE' && !/^\/api\/captures\/[^/]+$/.test(path)) continue;
        expect(await expectJsonError(await fetch(server.url + path, { method }), status), `${method} ${path}`).toMatch(reason);
      }
    }
    // A NUL byte itself (not percent-encoded) is no HTTP: Node's parser refuses it, answered in JSON.
    const nul = await rawRequest(server.url, Buffer.from(`GET /api/captures/${id}\0/calls HTTP/1.1\r\nHost: localhost\r\n\r\n`));
    expect(parseRawError(nul, 400)).toBe('malformed HTTP request');
    await expectUnchanged(server, before);
  });

  it('answers huge query strings with 400 and no crash', async () => {
    const before = await dataState(server);
    const huge = 'a'.repeat(100_000);
    const overLimit = await rawRequest(server.url, Buffer.from(`GET /api/captures/${id}/calls?q=${huge} HTTP/1.1\r\nHost: localhost\r\n\r\n`));
    expect(parseRawError(overLimit, 400)).toBe('the request line and headers are longer than 65536 bytes');
    expect(await expectJsonError(await fetch(`${base}/calls?q=${huge}`), 400)).toBe('the request line and headers are longer than 65536 bytes');
    // Under the header limit, the parameter itself is refused.
    expect(await expectJsonError(await fetch(`${base}/calls?q=${'a'.repeat(40_000)}`), 400)).toMatch(/^invalid query parameter 'q'/);
    const many = Array.from({ length: 5_000 }, (_, i) => `p${i}=1`).join('&');
    expect(await expectJsonError(await fetch(`${base}/calls?${many}`), 400)).toBe("invalid query parameter: unknown 'p0', 'p1', 'p2', 'p3', 'p4' and 995 more");
    expect(await expectJsonError(await fetch(`${base}/search?q=${'b'.repeat(40_000)}`), 400)).toMatch(/^invalid query parameter 'q'/);
    await expectUnchanged(server, before);
  });

  it('answers guessed share tokens with the same bare 404, then 429 + Retry-After, while the rest still answers', async () => {
    const before = await dataState(server);
    const shapes = ['..%2F..%2Fsipladder.db', 'short', `${'z'.repeat(43)}%00`, encodeURIComponent(`${'x'.repeat(43)}/`)];
    const guesses = [...shapes, ...Array.from({ length: 36 }, (_, i) => String(i).padStart(43, 'x'))];
    const answers: [number, string][] = [];
    for (const token of guesses) {
      const r = await fetch(`${server.url}/api/s/${token}`);
      answers.push([r.status, await r.text()]);
    }
    // Each miss costs a token of a bucket of 30 (misses of the tests above included): 404s, then 429s only.
    const firstLimited = answers.findIndex(([status]) => status === 429);
    expect(firstLimited).toBeGreaterThanOrEqual(shapes.length);
    expect(firstLimited).toBeLessThanOrEqual(30);
    expect(new Set(answers.slice(0, firstLimited).map((a) => JSON.stringify(a)))).toEqual(new Set([JSON.stringify([404, '{"error":"not found"}'])]));
    expect(answers.slice(firstLimited).every(([status]) => status === 429)).toBe(true);
    const limited = await fetch(`${server.url}/api/s/${'y'.repeat(43)}/calls`);
    expect(await expectJsonError(limited, 429)).toBe('too many unknown share links; try again later');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await fetch(`${server.url}/api/shares/${'y'.repeat(43)}`, { method: 'DELETE' })).status).toBe(429);
    // Only share links are limited: the rest of the API still answers this client.
    expect((await fetch(`${base}/calls`)).status).toBe(200);
    await expectUnchanged(server, before);
  });
});

describe('sipladder serve --max-analyses 1 --max-queued 0', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer({ args: ['--max-analyses', '1', '--max-queued', '0'] });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('refuses an upload with 503 and Retry-After while the one analysis allowed runs, and keeps nothing of it', async () => {
    const slow = await (await uploadRaw(server.url, bigCapture(4), 'slow.pcap')).json();
    expect(slow.capture.status).toBe('analyzing');
    const before = await dataState(server);
    const refused = await uploadRaw(server.url, corpusFile('call-basic-udp'));
    expect(await expectJsonError(refused, 503)).toBe('too many analyses are waiting; try again later');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const now = await dataState(server);
    expect({ ...now, captures: null }).toEqual({ ...before, captures: null });
    expect((now.captures as { items: { id: number }[] }).items.map((c) => c.id)).toEqual([slow.capture.id]);
    expect((await waitSettled(server.url, slow.capture.id, 120_000)).status).toBe('ready');
    // The worker exits a moment after its capture is ready; then the place is free again.
    let again = await uploadRaw(server.url, corpusFile('call-basic-udp'));
    for (const deadline = Date.now() + 10_000; again.status === 503 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 100));
      again = await uploadRaw(server.url, corpusFile('call-basic-udp'));
    }
    expect(again.status).toBe(202);
  }, 150_000);
});

describe('sipladder serve flag values', () => {
  it('refuses a size it cannot read', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'bin/sipladder.js'), 'serve', '--max-upload', '12Q'], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/--max-upload <size>' argument '12Q' is invalid. expected a size such as 500M or 2G/);
    const zero = spawnSync(process.execPath, [join(ROOT, 'bin/sipladder.js'), 'serve', '--max-analyses', '0'], { encoding: 'utf8' });
    expect(zero.status).not.toBe(0);
    expect(zero.stderr).toMatch(/--max-analyses <n>' argument '0' is invalid/);
  });

  it('documents every limit with its default in --help', () => {
    const help = spawnSync(process.execPath, [join(ROOT, 'bin/sipladder.js'), 'serve', '--help'], { encoding: 'utf8' }).stdout;
    expect(help).toMatch(/--max-upload <size>.*\(default: 2G\)/s);
    expect(help).toMatch(/--max-uploads <n>.*\(default: 8\)/s);
    expect(help).toMatch(/--upload-timeout <seconds>.*\(default: 60\)/s);
    expect(help).toMatch(/--max-analyses <n>.*\(default: 2\)/s);
    expect(help).toMatch(/--max-queued <n>.*\(default: 32\)/s);
  });
});
