// Runs the compiled server as a child process on a loopback port, the way `npm start` does
// (`node bin/sipladder.js serve --port 0 --data DIR`), or through launch.mjs when a test
// needs options the CLI does not offer. Build first: `npx tsc -p tsconfig.json`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CORPUS = join(ROOT, '..', 'shared', 'corpus');
const LAUNCHER = fileURLToPath(new URL('./launch.mjs', import.meta.url));

export interface ServerProcess {
  url: string;
  dataDir: string;
  child: ChildProcess;
  /** stderr so far (for failure messages). */
  stderr(): string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (kill -9) and wait for the exit. */
  kill(): Promise<void>;
}

const tempDirs: string[] = [];
// Registered on the importing test file: its directories go once its own afterAll hooks have stopped the servers.
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sipladder-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export interface StartOptions {
  dataDir?: string;
  /** ServerOptions for launch.mjs; absent: the CLI (`serve --no-preload`). */
  options?: Record<string, unknown>;
  /** CLI only: keep the bundled traces preload. */
  preload?: boolean;
  /** CLI only: more `serve` flags (limits). */
  args?: string[];
}

export async function startServer(start: StartOptions = {}): Promise<ServerProcess> {
  const dataDir = start.dataDir ?? tempDir('data');
  const args = start.options
    ? [LAUNCHER, JSON.stringify({ port: 0, dataDir, ...start.options })]
    : [join(ROOT, 'bin/sipladder.js'), 'serve', '--port', '0', '--data', dataDir, ...(start.preload ? [] : ['--no-preload']), ...(start.args ?? [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${stderr}`)));
  });
  return {
    url,
    dataDir,
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The corpus capture folders, sorted. */
export function corpusNames(): string[] {
  return readdirSync(CORPUS, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'gen')
    .map((d) => d.name)
    .sort();
}

export function corpusFile(name: string, variant: 'pcapng' | 'pcap' = 'pcapng'): string {
  return join(CORPUS, name, `${name}.${variant}`);
}

export async function getJson<T = any>(url: string): Promise<T> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

export async function sendJson(method: string, url: string, body: unknown): Promise<Response> {
  return fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Uploads a file as multipart/form-data (field "file"). */
export async function uploadMultipart(base: string, path: string, name = path.split('/').pop()!): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(path)]), name);
  return fetch(`${base}/api/captures`, { method: 'POST', body: form });
}

/** Uploads a file as the raw body with its name in X-File-Name. */
export async function uploadRaw(base: string, path: string, name = path.split('/').pop()!): Promise<Response> {
  return fetch(`${base}/api/captures`, { method: 'POST', body: readFileSync(path), headers: { 'x-file-name': encodeURIComponent(name) } });
}

/** Polls a capture until `done` says so (by default: it is no longer analysing). */
export async function waitSettled(base: string, id: number, timeoutMs = 60_000, done = (c: any) => c.status !== 'analyzing'): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await getJson(`${base}/api/captures/${id}`);
    if (done(c)) return c;
    if (Date.now() > deadline) throw new Error(`capture ${id} still not settled after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Polls a capture until nothing of it changes in the background any more: failed, or ready
 * with its message text index complete (the server builds it after the analysis).
 */
export function waitIndexed(base: string, id: number, timeoutMs = 60_000): Promise<any> {
  return waitSettled(base, id, timeoutMs, (c) => c.status === 'failed' || (c.status === 'ready' && c.textIndexed === c.messages));
}

/** The documents of a capture in the message text index (keys: capture id * 2^32 + message id), read from a database file. */
export function textIndexDocuments(dbPath: string, captureId: number): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM messages_fts WHERE rowid BETWEEN ? AND ?').pluck().get(captureId * 2 ** 32, (captureId + 1) * 2 ** 32 - 1) as number;
  } finally {
    db.close();
  }
}

/** Reads a Server-Sent Events stream to its end: [event, data] pairs. */
export async function readEvents(url: string): Promise<[string, any][]> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: ${r.status}`);
  const text = await r.text();
  const events: [string, any][] = [];
  for (const block of text.split('\n\n')) {
    const event = /^event: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (event && data) events.push([event, JSON.parse(data)]);
  }
  return events;
}
