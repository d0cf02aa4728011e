// Hostile and careless requests: traversal in ids, bad query parameters, broken JSON, all
// answered with a 4xx JSON {error} (never a stack trace), and the security headers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFile, startServer, tempDir, uploadRaw, waitSettled, type ServerProcess } from './helpers/server.js';

async function expectJsonError(r: Response, status: number): Promise<string> {
  expect(r.status, r.url).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  const body = await r.json();
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).not.toMatch(/\n\s+at |node_modules|\/work\//);
  return body.error;
}

describe('request validation and hardening', () => {
  let server: ServerProcess;
  let id: number;
  let base: string;

  beforeAll(async () => {
    const web = tempDir('web');
    mkdirSync(join(web, 'assets'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>sipladder</title>');
    writeFileSync(join(web, 'assets', 'app.js'), '1');
    server = await startServer({ options: { webRoot: web } });
    id = (await (await uploadRaw(server.url, corpusFile('call-basic-udp'))).json()).capture.id;
    await waitSettled(server.url, id);
    base = `${server.url}/api/captures/${id}`;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('refuses ids that are not ids (traversal included) with 400', async () => {
    for (const path of ['/api/captures/..%2f..%2fetc%2fpasswd', '/api/captures/..%2F..', '/api/captures/1.5', '/api/captures/-1', '/api/captures/0x10/calls', '/api/captures/99999999999']) {
      expect(await expectJsonError(await fetch(server.url + path), 400)).toMatch(/^invalid capture id/);
    }
    for (const path of ['/messages/..%2f..%2fsipladder.db', '/messages/-1', '/messages/1e3', '/messages/99999999999']) {
      expect(await expectJsonError(await fetch(base + path), 400)).toMatch(/^invalid message id/);
    }
    await expectJsonError(await fetch(`${base}/calls/..%2f..%2f..%2fetc%2fpasswd`), 404);
    await expectJsonError(await fetch(`${base}/messages/4000`), 404);
    await expectJsonError(await fetch(`${server.url}/api/captures/4242`), 404);
  });

  it('never serves files outside the web root', async () => {
    for (const path of ['/..%2f..%2f..%2fetc%2fpasswd', '/assets/..%2f..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/etc/passwd']) {
      const r = await fetch(server.url + path);
      expect(await r.text()).not.toContain('root:');
    }
  });

  it('refuses bad query parameters with 400', async () => {
    const cases: [string, RegExp][] = [
      ['/calls?limit=0', /'limit'/],
      ['/calls?limit=501', /'limit'/],
      ['/calls?limit=ten', /'limit': expected a whole number/],
      ['/calls?offset=-1', /'offset'/],
      ['/calls?sort=droptable', /'sort'/],
      ['/calls?outcome=exploded', /'outcome'/],
      ['/calls?status=99', /'status'/],
      ['/calls?method=IN%20VITE', /'method'/],
      [`/calls?q=${'x'.repeat(300)}`, /'q'/],
      ['/calls?from=yesterday', /'from'/],
      ['/calls?colour=red', /unknown 'colour'/],
      ['/search?q=ab', /at least 3 characters/],
      // two characters, three UTF-16 units: the search counts characters
      [`/search?q=a${encodeURIComponent('\u{1F600}')}`, /at least 3 characters/],
      ['/search', /'q'/],
      ['/ladder', /missing 'callIds'/],
      ['/ladder?callIds=x&merge=all', /'merge'/],
      ['/registrations?x=1', /unknown 'x'/],
    ];
    for (const [path, reason] of cases) expect(await expectJsonError(await fetch(base + path), 400), path).toMatch(reason);
  });

  it('refuses malformed, oversized and invalid JSON bodies', async () => {
    const post = (body: string, type = 'application/json') => fetch(`${server.url}/api/shares`, { method: 'POST', headers: { 'content-type': type }, body });
    expect(await expectJsonError(await post('{"captureId":'), 400)).toBe('malformed JSON body');
    expect(await expectJsonError(await post(JSON.stringify({ captureId: id, pad: 'x'.repeat(100_000) })), 413)).toBe('the JSON body is too large');
    expect(await expectJsonError(await post(JSON.stringify({ captureId: 'one' })), 400)).toMatch(/^invalid body 'captureId'/);
    expect(await expectJsonError(await post(JSON.stringify({ captureId: id, expiresInSeconds: -5 })), 400)).toMatch(/'expiresInSeconds'/);
    expect(await expectJsonError(await post('captureId=1', 'application/x-www-form-urlencoded'), 400)).toMatch(/^invalid body/);
    const aliases = await fetch(`${base}/aliases`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"aliases": {"<script>": "x"}}' });
    expect(await expectJsonError(aliases, 400)).toMatch(/^invalid body 'aliases/);
  });

  it('answers unknown endpoints and methods with a JSON 404', async () => {
    await expectJsonError(await fetch(`${server.url}/api/nothing`), 404);
    await expectJsonError(await fetch(`${server.url}/api/captures`, { method: 'PATCH' }), 404);
    await expectJsonError(await fetch(`${base}/calls`, { method: 'DELETE' }), 404);
  });

  it('sends the security headers', async () => {
    for (const path of ['/api/captures', '/', '/assets/app.js', '/api/nothing']) {
      const r = await fetch(server.url + path);
      const csp = r.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('serves index.html for client routes and the assets as files', async () => {
    for (const path of ['/', '/captures/1', `/captures/1/calls/${encodeURIComponent('1-2@127.0.0.1')}`, '/s/some-token']) {
      const r = await fetch(server.url + path);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('<!doctype html><title>sipladder</title>');
    }
    const asset = await fetch(`${server.url}/assets/app.js`);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    await expectJsonError(await fetch(`${server.url}/assets/missing.js`), 404);
  });
});

describe('without a built web page', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer({ options: { webRoot: join(tempDir('noweb'), 'dist') } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('answers the page routes with a JSON 503 saying to build it', async () => {
    expect(await expectJsonError(await fetch(`${server.url}/`), 503)).toMatch(/npm run build/);
    expect(await expectJsonError(await fetch(`${server.url}/s/abc`), 503)).toMatch(/npm run build/);
    expect((await fetch(`${server.url}/api/captures`)).status).toBe(200);
  });
});
