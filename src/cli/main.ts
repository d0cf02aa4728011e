// `sipladder analyze FILE [--json]` and `sipladder serve`.
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { analyzeCapture, textReportOf, type AnalyzeOptions } from '../index.js';
import { CaptureFormatError } from '../capture/index.js';
import { JsonReportWriter } from '../views/json-report.js';
import { ProgressBar } from './progress.js';
import {
  DEFAULT_BODY_TIMEOUT_MS, DEFAULT_MAX_CONCURRENT_ANALYSES, DEFAULT_MAX_CONCURRENT_UPLOADS, DEFAULT_MAX_QUEUED_ANALYSES, DEFAULT_MAX_UPLOAD_BYTES,
} from '../../server/limits.js';
import type { Anomaly, Severity } from '../model.js';

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number');
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number, at least 1');
  return n;
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number, 0 or more');
  return n;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A byte count: "1000000", "500M", "2G", "1.5GiB" (binary units: 1K = 1024 bytes). */
function byteSize(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value);
  const bytes = m ? Math.floor(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new InvalidArgumentError('expected a size such as 500M or 2G (K, M, G, T: powers of 1024)');
  return bytes;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

async function analyzeCommand(file: string, opts: { json?: boolean; failOn?: Severity; progress: boolean; pdd: number }): Promise<number> {
  let size = 0;
  try {
    size = statSync(file).size;
  } catch (e) {
    process.stderr.write(`sipladder: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 2;
  }
  // Only a terminal gets a progress bar, and only for files that take a moment; not when the
  // JSON document, written as the capture is read, goes to the same terminal.
  const bar = opts.progress && process.stderr.isTTY && !(opts.json && process.stdout.isTTY) && size > 20 * 1024 * 1024
    ? new ProgressBar(process.stderr, size)
    : null;
  const options: AnalyzeOptions = {
    longPostDialDelaySec: opts.pdd,
    progress: bar ? (bytes, messages) => bar.update(bytes, messages) : undefined,
  };
  let anomalies: Anomaly[];
  try {
    anomalies = opts.json ? await jsonReport(file, options, () => bar?.clear()) : await textReport(file, options, () => bar?.clear());
  } catch (e) {
    bar?.clear();
    if (e instanceof CaptureFormatError) {
      process.stderr.write(`sipladder: ${file}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (opts.failOn) {
    const threshold = SEVERITY_RANK[opts.failOn];
    if (anomalies.some((a) => SEVERITY_RANK[a.severity] >= threshold)) return 1;
  }
  return 0;
}

/** Writes the JSON document: each message as it is decoded (none is kept), then every call's records (the whole analysis is kept for them). Returns the anomalies. */
async function jsonReport(file: string, options: AnalyzeOptions, decoded: () => void): Promise<Anomaly[]> {
  const json = new JsonReportWriter(process.stdout);
  const { decode, analysis } = await analyzeCapture(file, { ...options, message: (m, link) => json.message(m, link), beforeRead: () => json.drained() });
  decoded();
  await json.end({ fileName: basename(file), info: decode.info, warnings: decode.warnings, analysis });
  return analysis.anomalies;
}

/** Writes the text report (textReportOf: only a digest of each message and what the report shows are kept). Returns the anomalies. */
async function textReport(file: string, options: AnalyzeOptions, decoded: () => void): Promise<Anomaly[]> {
  const { text, anomalies } = await textReportOf(file, basename(file), options);
  decoded();
  process.stdout.write(text);
  return anomalies;
}

interface ServeOptions {
  port: number;
  host: string;
  data: string;
  preload: boolean;
  maxUpload: number;
  maxUploads: number;
  uploadTimeout: number;
  maxAnalyses: number;
  maxQueued: number;
}

async function serveCommand(opts: ServeOptions): Promise<void> {
  const { startServer } = await import('../../server/index.js');
  const preloadDir = opts.preload ? new URL('../../../traces/', import.meta.url).pathname : null;
  const webRoot = new URL('../../../web/dist/', import.meta.url).pathname;
  const server = await startServer({
    port: opts.port,
    host: opts.host,
    dataDir: opts.data,
    preloadDir,
    webRoot,
    maxUploadBytes: opts.maxUpload,
    maxConcurrentUploads: opts.maxUploads,
    bodyTimeoutMs: opts.uploadTimeout * 1000,
    maxConcurrentAnalyses: opts.maxAnalyses,
    maxQueuedAnalyses: opts.maxQueued,
  });
  process.stdout.write(`listening on ${server.url}\n`);
  const stop = () => {
    server.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// A reader that stops early (`sipladder analyze big.pcap | head`) closes the pipe: the report is
// not wanted any more, which is not an error, as for any Unix filter.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});

const program = new Command()
  .name('sipladder')
  .description('SIP capture analyzer and call-flow visualizer')
  .showHelpAfterError()
  // A usage error exits 2, apart from the 1 of --fail-on that a CI pipeline acts on (help exits 0).
  .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));

program
  .command('analyze')
  .description('decode and analyse a pcap / pcapng capture (gzip too): calls, registrations, anomalies')
  .argument('<file>', 'capture file')
  .option('--json', 'print one JSON document (see docs/CLI.md) instead of the report')
  .addOption(new Option('--fail-on <severity>', 'exit 1 when an anomaly of this severity or worse is found').choices(['info', 'warning', 'error']))
  .option('--pdd <seconds>', 'post-dial delay above which long-post-dial-delay is raised', positiveNumber, 8)
  .option('--no-progress', 'no progress bar on stderr')
  .action(async (file: string, opts) => {
    process.exitCode = await analyzeCommand(file, opts);
  });

program
  .command('serve')
  .description('start the web UI and REST API')
  .option('--port <port>', 'TCP port (0 picks a free one)', port, 8080)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--data <dir>', 'data directory (SQLite database and stored captures)', 'data')
  .option('--no-preload', 'do not load the bundled sample captures from traces/')
  .addOption(new Option('--max-upload <size>', 'largest capture accepted for upload, e.g. 500M or 2G (413 beyond)')
    .argParser(byteSize).default(DEFAULT_MAX_UPLOAD_BYTES, '2G'))
  .option('--max-uploads <n>', 'uploads received at once (503 + Retry-After beyond)', positiveInteger, DEFAULT_MAX_CONCURRENT_UPLOADS)
  .option('--upload-timeout <seconds>', 'an upload (any request body) that sends nothing for this long is refused with 408; 0: never',
    positiveNumber, DEFAULT_BODY_TIMEOUT_MS / 1000)
  .option('--max-analyses <n>', 'analyses run at once, each in a worker thread; more wait', positiveInteger, DEFAULT_MAX_CONCURRENT_ANALYSES)
  .option('--max-queued <n>', 'analyses waiting beyond which uploads are refused (503 + Retry-After)', nonNegativeInteger, DEFAULT_MAX_QUEUED_ANALYSES)
  .action(serveCommand);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`sipladder: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
