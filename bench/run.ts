// `npm run bench`: on one large capture, in one run,
// - decode and analysis throughput and peak memory, next to tshark's field extraction and
//   sngrep's load of the same file (each contender a child process, its peak resident memory
//   read from /proc/<pid>/status, VmHWM, while it runs);
// - end to end through the server: the capture streamed over HTTP and analysed (ready), and
//   its message text index complete, with the server's peak and settled memory;
// - search latency, one request at a time, for a few kinds of text;
// - the API's latency under a bounded concurrent load (autocannon on loopback);
// - the browser: a 5000-message ladder drawn and scrolled in headless Chromium.
// BENCH_MB sets the capture size (default 512); BENCH_ROUNDS how many times the five command-line
// contenders run, interleaved, one round after another (default 3: a run on a shared machine
// varies by 10-20%, so each figure is the median of the rounds, and each ratio the median of the
// rounds' own ratios); BENCH_SKIP lists parts to leave out, from decode, tshark, sngrep, server
// (upload, search, API and browser), search, api, render; BENCH_API_SECONDS and
// BENCH_API_CONNECTIONS shape the load. Results go to .bench/results.json and stdout.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_CAPTURE_VERSION, makeBenchCapture } from './make-capture.js';
import { makeLongCall } from './long-call.js';
import { measureRender, type RenderFigures } from './render.js';
import {
  cpuSeconds, getJson, loadTest, memoryKb, searchLatency, startServer, uploadAndAnalyse, type BenchServer, type LatencyFigures, type SearchFigures,
  type UploadFigures,
} from './server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const benchDir = join(root, '.bench');
const targetMb = Number(process.env.BENCH_MB ?? 512);
const capture = join(benchDir, `callmix-${targetMb}mb-v${BENCH_CAPTURE_VERSION}.pcapng`);
const longCallFile = join(benchDir, 'long-call-5000.pcapng');
const skip = new Set((process.env.BENCH_SKIP ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`BENCH_ROUNDS must be a whole number from 1: ${process.env.BENCH_ROUNDS}`);
const apiSeconds = Number(process.env.BENCH_API_SECONDS ?? 10);
const apiConnections = Number(process.env.BENCH_API_CONNECTIONS ?? 10);
const LONG_CALL_MESSAGES = 5000;
/** Sequential requests per search text; the median is reported. */
const SEARCH_REPEATS = 5;

interface Measure {
  name: string;
  seconds: number;
  /** User + system CPU seconds (null where not measured). */
  cpuSeconds: number | null;
  /** Whether it does the same work as tshark and sngrep (the upload alone does not). */
  comparable: boolean;
  peakMb: number | null;
  output: string;
}

function measure(name: string, cmd: string, args: string[]): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let peak = 0;
    let cpu = 0;
    let output = '';
    const sample = () => {
      peak = Math.max(peak, memoryKb(child.pid!).peak);
      cpu = Math.max(cpu, cpuSeconds(child.pid!));
    };
    const poll = setInterval(sample, 20);
    child.stdout.on('data', (d: Buffer) => {
      if (output.length < 4096) output += d.toString();
    });
    child.stderr.on('data', () => {});
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(poll);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code !== 0) reject(new Error(`${name} exited with ${code}`));
      else resolve({ name, seconds, cpuSeconds: cpu, comparable: true, peakMb: peak / 1024, output });
    });
    // /proc/<pid> is gone once the process is reaped: sample when it closes its output too.
    child.stdout.on('end', sample);
  });
}

function which(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => existsSync(join(d, cmd)));
}

interface Row {
  name: string;
  /** The median of the rounds (the one run of the server parts). */
  seconds: number;
  /** The fastest and slowest round. */
  secondsRange: [number, number];
  cpuSeconds: number | null;
  mbPerSec: number;
  messagesPerSec: number;
  peakMb: number | null;
  /** How many times faster than tshark on the same file: the median over the rounds of tshark's seconds / these seconds in that round. */
  vsTshark: number | null;
  vsSngrep: number | null;
}

interface ServerFigures {
  upload: UploadFigures;
  search: SearchFigures[];
  api: LatencyFigures[];
  render: RenderFigures | null;
}

/** Upload and analysis, API load, and the browser, against one server started for them. */
async function serverPart(messagesHint: number | null): Promise<ServerFigures> {
  const server: BenchServer = await startServer(root);
  try {
    process.stderr.write('server: upload and analysis...\n');
    const upload = await uploadAndAnalyse(server, capture, 3600);
    if (messagesHint !== null && upload.messages !== messagesHint) throw new Error(`the server found ${upload.messages} messages, the decoder ${messagesHint}`);
    const base = `/api/captures/${upload.captureId}`;
    // The last call belongs to the last replica: its Call-ID is in no other call's.
    const { items } = await getJson<{ items: { callId: string; callee: { user: string | null } }[] }>(`${server.url}${base}/calls?sort=-startTime&limit=1`);
    const { callId, callee } = items[0];
    let search: SearchFigures[] = [];
    if (!skip.has('search')) {
      process.stderr.write('server: search latency...\n');
      search = await searchLatency(server.url, upload.captureId, [
        ['a Call-ID fragment', callId.split('@')[0]],
        ['a phone number fragment', (callee.user ?? '').slice(1)],
        ['an IP address', '127.0.0.1'],
        ['a rare phrase', 'Service Unavailable'],
        ['a word in every message', 'SIP/2.0'],
      ], SEARCH_REPEATS);
    }
    const api: LatencyFigures[] = [];
    if (!skip.has('api')) {
      const targets: [string, string][] = [
        ['calls list (first page, 50 rows)', `${base}/calls`],
        ['one call\'s ladder', `${base}/ladder?callIds=${encodeURIComponent(callId)}`],
        ['search (a Call-ID)', `${base}/search?q=${encodeURIComponent(callId)}`],
      ];
      for (const [name, path] of targets) {
        process.stderr.write(`server: ${name}, ${apiConnections} connections for ${apiSeconds} s...\n`);
        api.push(await loadTest(server.url, name, path, apiConnections, apiSeconds));
      }
    }
    let render: RenderFigures | null = null;
    if (!skip.has('render')) {
      process.stderr.write(`browser: a ${LONG_CALL_MESSAGES}-message ladder...\n`);
      const long = makeLongCall(LONG_CALL_MESSAGES);
      writeFileSync(longCallFile, long.bytes);
      const figures = await uploadAndAnalyse(server, longCallFile, 300);
      render = await measureRender(`${server.url}/captures/${figures.captureId}/calls/${encodeURIComponent(long.callId)}`, long.messages);
    }
    return { upload, search, api, render };
  } finally {
    await server.stop();
  }
}

const round = (n: number, digits = 1) => +n.toFixed(digits);

/** A contender over the rounds: the median run's seconds and CPU (the lower middle one for an even number), the highest peak. */
interface Measured extends Measure {
  /** Seconds of each round, in round order. */
  rounds: number[];
}

/** The median, the lower middle value for an even number (as for a contender's figures). */
function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[(values.length - 1) >> 1]!;
}

function summarize(runs: Measure[]): Measured {
  const bySeconds = [...runs].sort((a, b) => a.seconds - b.seconds);
  const middle = bySeconds[(bySeconds.length - 1) >> 1]!;
  const peaks = runs.flatMap((r) => (r.peakMb === null ? [] : [r.peakMb]));
  return {
    ...middle,
    peakMb: peaks.length === 0 ? null : Math.max(...peaks),
    rounds: runs.map((r) => r.seconds),
  };
}

/** A part measured once (the server's). */
function once(m: Measure): Measured {
  return { ...m, rounds: [m.seconds] };
}

/** How many times faster `r` is than `reference`: the median of the rounds' ratios (a part run once against the reference's median). */
function ratio(reference: Measured, r: Measured): number {
  if (r.rounds.length !== reference.rounds.length) return reference.seconds / r.seconds;
  return median(r.rounds.map((seconds, i) => reference.rounds[i]! / seconds));
}

async function main(): Promise<void> {
  mkdirSync(benchDir, { recursive: true });
  if (!existsSync(capture)) {
    process.stderr.write(`building ${capture} (${targetMb} MB)...\n`);
    await makeBenchCapture(join(root, 'traces', 'callmix-udp-500.pcapng.gz'), capture, targetMb * 1024 * 1024);
  }
  const mb = statSync(capture).size / 1048576;
  const node = process.execPath;
  const probe = join(root, 'dist', 'bench', 'probe.js');
  const contenders: [string, string, string[]][] = [];
  if (!skip.has('decode')) {
    contenders.push(['sipladder decode', node, [probe, 'decode', capture]]);
    contenders.push(['sipladder decode + analysis, whole analysis kept (--json)', node, [probe, 'analyze', capture]]);
    contenders.push(['sipladder decode + analysis, text report (the default)', node, [probe, 'report', capture]]);
  }
  if (!skip.has('tshark') && which('tshark')) {
    contenders.push(['tshark field extraction', 'tshark', ['-r', capture, '-Y', 'sip', '-T', 'fields', '-e', 'sip.Call-ID', '-e', 'sip.CSeq', '-e', 'sip.Method', '-e', 'sip.Status-Code']]);
  }
  if (!skip.has('sngrep') && which('sngrep')) {
    contenders.push(['sngrep load', 'sngrep', ['-I', capture, '-N', '-q', '-l', '100000000']]);
  }
  // Interleaved rounds: a slow spell of the machine slows every contender of its round alike.
  const runs: Measure[][] = contenders.map(() => []);
  for (let r = 1; r <= rounds; r++) {
    for (const [i, [name, cmd, args]] of contenders.entries()) {
      process.stderr.write(`round ${r} of ${rounds}: ${name}...\n`);
      runs[i]!.push(await measure(name, cmd, args));
    }
  }
  const results: Measured[] = runs.map(summarize);
  const decoded = results.find((r) => r.name === 'sipladder decode');
  const server = skip.has('server') ? null : await serverPart(decoded ? (JSON.parse(decoded.output) as { messages: number }).messages : null);
  const messages = decoded ? (JSON.parse(decoded.output) as { messages: number }).messages : server?.upload.messages ?? 0;
  if (server) {
    const { upload } = server;
    results.push(once({ name: 'server upload (streamed HTTP)', seconds: upload.uploadSeconds, cpuSeconds: null, comparable: false, peakMb: null, output: '' }));
    results.push(once({ name: 'server upload + analysis (ready)', seconds: upload.totalSeconds, cpuSeconds: upload.cpuSeconds, comparable: true, peakMb: null, output: '' }));
    results.push(once({ name: 'server upload + analysis + text index', seconds: upload.indexedSeconds, cpuSeconds: upload.indexedCpuSeconds, comparable: false, peakMb: upload.peakMb, output: '' }));
  }
  const tshark = results.find((r) => r.name.startsWith('tshark'));
  const sngrep = results.find((r) => r.name.startsWith('sngrep'));
  const rows: Row[] = results.map((r) => ({
    name: r.name,
    seconds: round(r.seconds, 2),
    secondsRange: [round(Math.min(...r.rounds), 2), round(Math.max(...r.rounds), 2)],
    cpuSeconds: r.cpuSeconds === null ? null : round(r.cpuSeconds, 2),
    mbPerSec: round(mb / r.seconds),
    messagesPerSec: Math.round(messages / r.seconds),
    peakMb: r.peakMb === null ? null : Math.round(r.peakMb),
    vsTshark: tshark && r.comparable ? round(ratio(tshark, r), 2) : null,
    vsSngrep: sngrep && r.comparable ? round(ratio(sngrep, r), 2) : null,
  }));
  const report = {
    date: new Date().toISOString(),
    machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    capture: { file: capture, megabytes: Math.round(mb), messages },
    rounds,
    results: rows,
    server: server && {
      rssBeforeMb: Math.round(server.upload.rssBeforeMb),
      peakMb: Math.round(server.upload.peakMb),
      rssAfterMb: Math.round(server.upload.rssAfterMb),
      calls: server.upload.calls,
      indexedAtReady: server.upload.indexedAtReady,
    },
    search: server?.search ?? [],
    api: server?.api ?? [],
    render: server?.render ?? null,
  };
  writeFileSync(join(benchDir, 'results.json'), JSON.stringify(report, null, 1));
  printReport(report, mb);
}

function printReport(report: {
  machine: string;
  rounds: number;
  capture: { messages: number };
  results: Row[];
  server: { rssBeforeMb: number; peakMb: number; rssAfterMb: number; indexedAtReady: number } | null;
  search: SearchFigures[];
  api: LatencyFigures[];
  render: RenderFigures | null;
}, mb: number): void {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`capture: ${mb.toFixed(0)} MB, ${report.capture.messages} SIP messages; ${report.machine}; ${report.rounds} rounds (medians; the server parts once)\n`);
  out('| contender | seconds | fastest - slowest | CPU seconds | MB/s | messages/s | peak RSS MB | speed vs tshark | vs sngrep |\n|---|---|---|---|---|---|---|---|---|');
  for (const r of report.results) {
    const [fastest, slowest] = r.secondsRange;
    out(`| ${r.name} | ${r.seconds} | ${fastest === slowest ? '-' : `${fastest} - ${slowest}`} | ${r.cpuSeconds ?? '-'} | ${r.mbPerSec} | ${r.messagesPerSec} | ${r.peakMb ?? '-'} | ${r.vsTshark === null ? '-' : `${r.vsTshark}x`} | ${r.vsSngrep === null ? '-' : `${r.vsSngrep}x`} |`);
  }
  if (report.server) {
    out(`\nserver RSS: ${report.server.rssBeforeMb} MB before the upload, peak ${report.server.peakMb} MB, ${report.server.rssAfterMb} MB once analysed and indexed`);
    out(`messages in the text index when the capture was ready: ${report.server.indexedAtReady} of ${report.capture.messages}`);
  }
  if (report.search.length) {
    out(`\n| search (one client, median of ${SEARCH_REPEATS}) | text | hits | p50 ms |\n|---|---|---|---|`);
    for (const s of report.search) out(`| ${s.name} | ${s.q} | ${s.total} | ${round(s.p50Ms)} |`);
  }
  if (report.api.length) {
    out('\n| API request | connections | seconds | requests/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|---|');
    for (const a of report.api) out(`| ${a.name} | ${a.connections} | ${a.seconds} | ${Math.round(a.requestsPerSec)} | ${a.p50Ms} | ${a.p99Ms} | ${a.errors} |`);
  }
  const r = report.render;
  if (r) {
    out(`\nbrowser, ${r.messages}-message ladder: drawn ${Math.round(r.medianDrawnMs)} ms after navigation (median of ${r.drawnMs.length}: ${r.drawnMs.map(Math.round).join(', ')}), painted ${Math.round(r.medianPaintedMs)} ms, of which ${Math.round(r.medianLadderFetchedMs)} ms until its JSON was received; ${r.arrowsInDom} arrows in the DOM`);
    const s = r.scroll;
    out(`scroll over ${s.pixels} px in ${s.frames} frames: ${round(s.fps)} fps, frame p50 ${round(s.p50FrameMs)} ms, p95 ${round(s.p95FrameMs)} ms, longest ${round(s.maxFrameMs)} ms, ${s.slowFrames} frames over 33 ms; the view's script ${round(s.p50ScriptMs)} ms per wheel event (p95 ${round(s.p95ScriptMs)}); at most ${s.maxArrowsInDom} arrows in the DOM; last row reached: ${s.reachedEnd}`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
