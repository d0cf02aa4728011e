// `npm run bench:calls`: how fast the server answers the calls table and the
// message search of one big capture (about 100 000 calls, BENCH_CALLS_MB=300), server-side:
// CaptureViews over the SQLite store, as the routes call them, without HTTP.
//
// The store is built once, the way the server builds it (the replicated 500-call mix of
// bench/make-capture.ts, stored as a blob, analysed by an AnalysisQueue worker, its messages'
// text index built), in
// .bench/calls-table/, and reused by later runs. Each query form runs RUNS times after a
// warm-up; p50 and p99 of its wall time are printed in milliseconds, and the p50 of its CPU
// time (the queries run synchronously on the main thread: on a shared machine, the CPU time is
// what the query costs, the wall time what others' load made of it).
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openStores } from '../server/store/open.js';
import { completeTextIndex, type BlobStore, type CallQuery, type Store } from '../server/store/Store.js';
import { CaptureViews, type Scope } from '../server/views.js';
import { AnalysisQueue } from '../server/worker/AnalysisQueue.js';
import { DEFAULT_TEXT_INDEX_BATCH } from '../server/worker/TextIndexer.js';
import { makeBenchCapture } from './make-capture.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const benchDir = join(root, '.bench');
const targetMb = Number(process.env.BENCH_CALLS_MB ?? 300);
const capturePath = join(benchDir, `callmix-${targetMb}mb.pcapng`);
const dataDir = join(benchDir, 'calls-table');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const PAGE = 50;

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Analyses the capture into the store as the server would (one worker, no time limit to speak of). */
async function analyse(store: Store, blobs: BlobStore, path: string): Promise<number> {
  const sha256 = await sha256Of(path);
  const upload = await blobs.createUpload();
  for await (const chunk of createReadStream(path)) await upload.write(chunk as Buffer);
  await upload.commit(sha256);
  const size = statSync(path).size;
  const { capture, created } = await store.addCapture({ name: basename(path), size, sha256 });
  if (!created) await store.queueAnalysis(capture.id);
  const queue = new AnalysisQueue({ dataDir, store, maxConcurrent: 1, maxQueued: 1, timeoutMs: 4 * 3600_000, workerMemoryMb: 12_288 });
  const outcome = new Promise<void>((resolve, reject) => {
    queue.on('ready', () => resolve());
    queue.on('failed', (_id, reason) => reject(new Error(reason)));
  });
  const started = performance.now();
  queue.enqueue({ captureId: capture.id, sha256, name: capture.name, size });
  await outcome;
  await queue.close();
  process.stderr.write(`analysed and stored in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  // The message search is timed on a complete text index, which the server builds after the analysis.
  await completeTextIndex(store, capture.id, DEFAULT_TEXT_INDEX_BATCH);
  return capture.id;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Timing {
  p50: number;
  p99: number;
  cpuP50: number;
}

async function time(run: () => Promise<unknown>): Promise<Timing> {
  await run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    await run();
    const used = process.cpuUsage(cpuStarted);
    wall.push(performance.now() - started);
    cpu.push((used.user + used.system) / 1000);
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { p50: percentile(wall, 50), p99: percentile(wall, 99), cpuP50: percentile(cpu, 50) };
}

/** Filter values taken from the data, so each filter matches something. */
function sampleValues(dbPath: string, captureId: number) {
  const db = new Database(dbPath, { readonly: true });
  try {
    const tag = (prefix: string) => (db.prepare(`SELECT substr(tag, 3) FROM call_tags WHERE capture_id = ? AND tag >= ? AND tag < ?
      GROUP BY tag ORDER BY count(*) ASC LIMIT 1`).pluck().get(captureId, prefix, `${prefix}\uffff`) as string);
    const middle = db.prepare('SELECT call_id, caller_user, callee_user, start_time FROM calls WHERE capture_id = ? ORDER BY idx LIMIT 1 OFFSET ?')
      .get(captureId, 50_000) as { call_id: string; caller_user: string; callee_user: string; start_time: number };
    const span = db.prepare('SELECT min(start_time) AS first, max(start_time) AS last FROM calls WHERE capture_id = ?').get(captureId) as { first: number; last: number };
    return { rareAnomaly: tag('a:'), rareMethod: tag('m:'), rareStatus: Number(tag('s:')), middle, span };
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  mkdirSync(benchDir, { recursive: true });
  const { store, blobs } = await openStores(dataDir);
  let capture = (await store.listCaptures()).find((c) => c.name === basename(capturePath) && c.status === 'ready');
  if (capture === undefined) {
    if (!existsSync(capturePath)) {
      process.stderr.write(`building ${capturePath} (${targetMb} MB)...\n`);
      await makeBenchCapture(join(root, 'traces', 'callmix-udp-500.pcapng.gz'), capturePath, targetMb * 1024 * 1024);
    }
    process.stderr.write(`analysing ${capturePath} into ${dataDir}...\n`);
    const id = await analyse(store, blobs, capturePath);
    capture = (await store.listCaptures()).find((c) => c.id === id)!;
  }
  const detail = (await store.capture(capture.id))!;
  const scope: Scope = { capture: detail, callIds: null, messageId: null, anon: null };
  const views = new CaptureViews(store, blobs);
  const v = sampleValues(join(dataDir, 'sipladder.db'), capture.id);
  const calls = capture.calls!;
  const base: CallQuery = { offset: 0, limit: PAGE, sort: 'startTime', descending: false };
  const tenth = (v.span.last - v.span.first) / 10;

  const forms: [string, CallQuery][] = [
    ['first page', base],
    ['middle page', { ...base, offset: Math.floor(calls / 2) }],
    ['last page', { ...base, offset: calls - PAGE }],
  ];
  for (const sort of ['startTime', 'duration', 'postDialDelay', 'messages', 'caller', 'callee', 'outcome', 'finalStatus'] as const) {
    forms.push([`sort ${sort}`, { ...base, sort }], [`sort -${sort}`, { ...base, sort, descending: true }]);
    forms.push([`sort -${sort}, middle page`, { ...base, sort, descending: true, offset: Math.floor(calls / 2) }]);
  }
  forms.push(
    ['outcome=cancelled', { ...base, outcome: 'cancelled' }],
    ['outcome=completed, last page', { ...base, outcome: 'completed', offset: 40_000 }],
    ['kind=call', { ...base, kind: 'call' }],
    [`anomaly=${v.rareAnomaly}`, { ...base, anomaly: v.rareAnomaly }],
    [`method=${v.rareMethod}`, { ...base, method: v.rareMethod }],
    ['method=INVITE', { ...base, method: 'INVITE' }],
    [`status=${v.rareStatus}`, { ...base, status: v.rareStatus }],
    ['status=200', { ...base, status: 200 }],
    [`user=${v.middle.caller_user} (exact user)`, { ...base, user: v.middle.caller_user }],
    [`user=${v.middle.callee_user.slice(0, 5)} (callee prefix)`, { ...base, user: v.middle.callee_user.slice(0, 5) }],
    ['user=user1 (broad)', { ...base, user: 'user1' }],
    ['user=nobody-at-all (no match)', { ...base, user: 'nobody-at-all' }],
    ['user=9 (one character)', { ...base, user: '9' }],
    [`callId=${v.middle.call_id.slice(0, 12)}`, { ...base, callId: v.middle.call_id.slice(0, 12) }],
    ['callId=@ (every call)', { ...base, callId: '@' }],
    ['from/to (a tenth of the time)', { ...base, from: v.span.first + 4 * tenth, to: v.span.first + 5 * tenth }],
    [`q=${v.middle.callee_user}`, { ...base, q: v.middle.callee_user }],
    ['q=alice', { ...base, q: 'alice' }],
    ['q=sipladder.test (every call)', { ...base, q: 'sipladder.test' }],
    [`q=sip:${v.middle.callee_user}@sipladder (long, common start)`, { ...base, q: `sip:${v.middle.callee_user}@sipladder` }],
    ['user=ser (most calls)', { ...base, user: 'ser' }],
    ['q=zzzzzz (no match)', { ...base, q: 'zzzzzz' }],
    [`user=${v.middle.caller_user}, sort -duration`, { ...base, user: v.middle.caller_user, sort: 'duration', descending: true }],
    ['user=user1, sort caller', { ...base, user: 'user1', sort: 'caller' }],
    ['outcome=completed, sort -postDialDelay', { ...base, outcome: 'completed', sort: 'postDialDelay', descending: true }],
    ['method=INVITE, status=200, sort -messages', { ...base, method: 'INVITE', status: 200, sort: 'messages', descending: true }],
    ['q=alice, from/to, sort -duration', { ...base, q: 'alice', from: v.span.first + 4 * tenth, to: v.span.first + 5 * tenth, sort: 'duration', descending: true }],
  );
  const searches: [string, string][] = [
    ['search Call-ID', v.middle.call_id],
    ['search callee user', v.middle.callee_user],
    ['search INVITE (every call)', 'INVITE sip:'],
    ['search no match', 'no-such-text-anywhere'],
  ];

  process.stdout.write(`capture: ${capture.name}, ${calls} calls, ${capture.messages} messages; ${RUNS} runs per query after a warm-up\n\n`);
  process.stdout.write('| query | matches | p50 ms | p99 ms | CPU p50 ms |\n|---|---|---|---|---|\n');
  const row = (name: string, total: number, t: Timing) =>
    process.stdout.write(`| ${name} | ${total} | ${t.p50.toFixed(1)} | ${t.p99.toFixed(1)} | ${t.cpuP50.toFixed(1)} |\n`);
  for (const [name, query] of forms) {
    const { total } = await views.calls(scope, query);
    row(name, total, await time(() => views.calls(scope, query)));
  }
  for (const [name, text] of searches) {
    const { total } = await views.search(scope, text, 100);
    row(name, total, await time(() => views.search(scope, text, 100)));
  }
  await store.close();
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
