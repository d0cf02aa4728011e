// The end-to-end half of the benchmark: the real server as a child process (`sipladder serve`
// on a free port and an empty data directory), a capture streamed to it over HTTP, the time
// until its analysis is stored and until its message text index is complete, the server's
// memory meanwhile, search latency, and the API's latency under a bounded concurrent load
// (autocannon on loopback).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export interface BenchServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Peak (VmHWM) and current (VmRSS) resident memory of a process in kB; worker threads included. */
export function memoryKb(pid: number): { peak: number; current: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { peak: field('VmHWM'), current: field('VmRSS') };
  } catch {
    return { peak: 0, current: 0 };
  }
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/**
 * CPU time (user + system) a process has used so far, in seconds, all its threads included
 * (/proc/<pid>/stat, fields 14 and 15). Unlike wall time it does not grow when other work
 * shares the machine's cores.
 */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** `node bin/sipladder.js serve --port 0 --data <tmp> --no-preload`; resolves once it prints its address. */
export async function startServer(root: string): Promise<BenchServer> {
  const data = mkdtempSync(join(tmpdir(), 'sipladder-bench-'));
  const child: ChildProcess = spawn(process.execPath, [join(root, 'bin', 'sipladder.js'), 'serve', '--port', '0', '--data', data, '--no-preload'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${output}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1].replace(/\/$/, ''));
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** Streams `file` as the raw request body (X-File-Name names it); resolves with the server's answer. */
function streamUpload(url: string, file: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/captures`, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': statSync(file).size,
        'x-file-name': encodeURIComponent(basename(file)),
      },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    createReadStream(file).on('error', reject).pipe(req);
  });
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface CaptureSummary {
  id: number;
  status: 'analyzing' | 'ready' | 'failed';
  error: string | null;
  messages: number;
  calls: number;
  textIndexed: number;
}

export interface UploadFigures {
  captureId: number;
  messages: number;
  calls: number;
  /** From the first byte sent until the server answered (the file is then stored). */
  uploadSeconds: number;
  /** From the first byte sent until the capture was `ready` (its analysis stored). */
  totalSeconds: number;
  /** CPU time the server spent from the first byte until `ready`. */
  cpuSeconds: number;
  /** From the first byte sent until the message text index was complete (the server builds it once the capture is ready). */
  indexedSeconds: number;
  /** CPU time the server spent from the first byte until the index was complete. */
  indexedCpuSeconds: number;
  /** Messages already indexed when the capture became `ready`. */
  indexedAtReady: number;
  /** Server RSS before the upload, its high-water mark once the index is complete, and RSS a while after. */
  rssBeforeMb: number;
  peakMb: number;
  rssAfterMb: number;
}

const POLL_MS = 50;
/** How long after `ready` the resident memory is read again (worker gone, garbage collected). */
const SETTLE_MS = 5_000;

/** Uploads `file` and waits for its analysis, then for its text index, polling the capture. */
export async function uploadAndAnalyse(server: BenchServer, file: string, timeoutSeconds: number): Promise<UploadFigures> {
  const before = memoryKb(server.pid);
  const cpuBefore = cpuSeconds(server.pid);
  const start = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
  const answer = await streamUpload(server.url, file);
  const uploadSeconds = seconds();
  if (answer.status !== 202 && answer.status !== 200) throw new Error(`upload of ${file}: ${answer.status} ${answer.body}`);
  const { capture } = JSON.parse(answer.body) as { capture: CaptureSummary };
  let summary = capture;
  const poll = async (what: string) => {
    if (seconds() > timeoutSeconds) throw new Error(`${what} of ${file} did not finish in ${timeoutSeconds} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    summary = await getJson<CaptureSummary>(`${server.url}/api/captures/${capture.id}`);
  };
  while (summary.status === 'analyzing') await poll('analysis');
  const totalSeconds = seconds();
  const cpu = cpuSeconds(server.pid) - cpuBefore;
  if (summary.status === 'failed') throw new Error(`analysis of ${file} failed: ${summary.error}`);
  const indexedAtReady = summary.textIndexed;
  while (summary.textIndexed < summary.messages) await poll('text index');
  const indexedSeconds = seconds();
  const indexedCpu = cpuSeconds(server.pid) - cpuBefore;
  const peak = memoryKb(server.pid).peak;
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return {
    captureId: capture.id,
    messages: summary.messages,
    calls: summary.calls,
    uploadSeconds,
    totalSeconds,
    cpuSeconds: cpu,
    indexedSeconds,
    indexedCpuSeconds: indexedCpu,
    indexedAtReady,
    rssBeforeMb: before.current / 1024,
    peakMb: peak / 1024,
    rssAfterMb: memoryKb(server.pid).current / 1024,
  };
}

export interface SearchFigures {
  name: string;
  q: string;
  total: number;
  /** Median of the repeats, one request at a time. */
  p50Ms: number;
}

/** Each search's median time over `repeats` sequential requests (a single client: the server's own time, plus loopback). */
export async function searchLatency(url: string, captureId: number, searches: [name: string, q: string][], repeats: number): Promise<SearchFigures[]> {
  const out: SearchFigures[] = [];
  for (const [name, q] of searches) {
    const times: number[] = [];
    let total = 0;
    for (let i = 0; i < repeats; i++) {
      const start = process.hrtime.bigint();
      ({ total } = await getJson<{ total: number }>(`${url}/api/captures/${captureId}/search?q=${encodeURIComponent(q)}`));
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    out.push({ name, q, total, p50Ms: times[Math.floor(times.length / 2)]! });
  }
  return out;
}

export interface LatencyFigures {
  name: string;
  path: string;
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

interface AutocannonResult {
  latency: { p50: number; p99: number };
  requests: { average: number; total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** autocannon's command line as its own process (the load generator does not share the bench's event loop). */
export function loadTest(url: string, name: string, path: string, connections: number, seconds: number): Promise<LatencyFigures> {
  const cli = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, '--json', '--connections', String(connections), '--duration', String(seconds), `${url}${path}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}: ${err}`));
      const r = JSON.parse(out) as AutocannonResult;
      resolve({
        name,
        path,
        connections,
        seconds,
        requests: r.requests.total,
        requestsPerSec: r.requests.average,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        errors: r.errors + r.timeouts + r.non2xx,
      });
    });
  });
}
