// The browser tests' world: the compiled server started as a child process on a free port
// with an empty data directory, Debian's Chromium driven by playwright-core, and pages that
// record every console error, uncaught exception and dialog (an XSS would show up as one).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startServer as startBenchServer } from '../../bench/server.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Server {
  url: string;
  stop(): Promise<void>;
}

/** `node bin/sipladder.js serve --port 0` on a fresh data directory; resolves once it prints its address. */
export async function startServer(): Promise<Server> {
  for (const built of ['dist/src/cli/main.js', 'web/dist/index.html']) {
    if (!existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: build first (npx tsc -p tsconfig.json && npx vite build --config web/vite.config.ts)`);
  }
  return startBenchServer(ROOT);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors, page errors and dialogs seen so far. */
  problems: string[];
}

/** A page in a fresh context (no cookies, no storage) at 1280x800 in the light theme unless told otherwise. */
export async function openPage(browser: Browser, viewport = { width: 1280, height: 800 }, colorScheme: 'light' | 'dark' = 'light'): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport, colorScheme, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { page, context, problems };
}

/** Uploads a capture over the API (raw body) and waits until it is analysed; returns its id. */
export async function uploadViaApi(server: Server, file: string): Promise<string> {
  const response = await fetch(`${server.url}/api/captures`, {
    method: 'POST',
    headers: { 'x-file-name': path.basename(file), 'content-type': 'application/octet-stream' },
    body: readFileSync(file),
  });
  if (response.status !== 202 && response.status !== 200 && response.status !== 201) throw new Error(`upload of ${file}: ${response.status} ${await response.text()}`);
  const { capture } = (await response.json()) as { capture: { id: string } };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const summary = (await (await fetch(`${server.url}/api/captures/${capture.id}`)).json()) as { status: string; error: string | null };
    if (summary.status === 'ready') return capture.id;
    if (summary.status === 'failed') throw new Error(`analysis of ${file} failed: ${summary.error}`);
    if (Date.now() > deadline) throw new Error(`analysis of ${file} did not finish in 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The shared corpus, beside the work tree (as in CI's clone). */
export const CORPUS = path.resolve(ROOT, '../shared/corpus');

export function corpusFile(name: string, ext: 'pcapng' | 'pcap' = 'pcapng'): string {
  return path.join(CORPUS, name, `${name}.${ext}`);
}

export interface CorpusRecord {
  msg: number;
  src: string;
  dst: string;
  type: 'request' | 'response';
  method?: string;
  status?: number;
  reason?: string;
  call_id: string;
}

export function corpusMessages(name: string): CorpusRecord[] {
  return (JSON.parse(readFileSync(path.join(CORPUS, name, 'messages.json'), 'utf8')) as { messages: CorpusRecord[] }).messages;
}
