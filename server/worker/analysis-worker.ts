// One analysis in a worker thread. The stored capture is read twice: a first pass finds where
// each call ends (CallEnds), the second decodes and analyses it, settling each call at its
// last message. Messages, settled calls and anomalies are written in batches as they come,
// through the worker's own store connection, so memory holds only the calls still running
// and the writes not done yet, however large the capture. The main thread only hears
// progress and the outcome, so a huge or hostile capture never blocks requests, and a crash
// here takes only this thread down.
import { Transform, type Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeCapture } from '../../src/pipeline.js';
import { CallEndScanner, StreamingAnalyzer, type AnalysisEnd, type AnalysisSink, type CallEnds, type CallResult } from '../../src/analysis/index.js';
import { CaptureFormatError } from '../../src/capture/index.js';
import type { Anomaly } from '../../src/model.js';
import { formatTimestamp } from '../../src/timefmt.js';
import { IdentityCollector } from '../../src/views/anonymize.js';
import { openStores } from '../store/open.js';
import type { AnalysisWriter, BlobStore, MessageToStore } from '../store/Store.js';
import type { AnalysisJob, WorkerReport } from './protocol.js';

/** Messages per insert transaction. */
const BATCH_MESSAGES = 2000;
/** Settled calls per insert transaction. */
const BATCH_CALLS = 500;
/** At most one progress report per this many milliseconds. */
const PROGRESS_INTERVAL_MS = 200;

function report(r: WorkerReport): void {
  parentPort!.postMessage(r);
}

/**
 * Collects what the analysis hands out and writes it in batches, one write after the other.
 * `settled()` resolves once every write queued so far is done.
 */
class BatchedWrites implements AnalysisSink {
  private messages: MessageToStore[] = [];
  private calls: CallResult[] = [];
  private anomalies: Anomaly[] = [];
  private writing: Promise<void> = Promise.resolve();
  private ended: AnalysisEnd | null = null;

  constructor(private readonly writer: AnalysisWriter) {}

  message(m: MessageToStore): void {
    this.messages.push(m);
    if (this.messages.length >= BATCH_MESSAGES) this.flush();
  }

  call(result: CallResult): void {
    this.calls.push(result);
    if (this.calls.length >= BATCH_CALLS) this.flush();
  }

  anomaly(anomaly: Anomaly): void {
    this.anomalies.push(anomaly);
  }

  end(end: AnalysisEnd): void {
    this.ended = end;
  }

  /** Queues the batches collected so far. */
  flush(): void {
    const { messages, calls, anomalies, writer } = this;
    if (messages.length === 0 && calls.length === 0 && anomalies.length === 0) return;
    this.messages = [];
    this.calls = [];
    this.anomalies = [];
    this.writing = this.writing.then(async () => {
      if (messages.length > 0) await writer.addMessages(messages);
      if (calls.length > 0) await writer.addCalls(calls);
      if (anomalies.length > 0) await writer.addAnomalies(anomalies);
    });
    // A failed write fails the analysis through settled(); until someone waits, it is not unhandled.
    this.writing.catch(() => undefined);
  }

  settled(): Promise<void> {
    return this.writing;
  }

  /** What the end of the analysis decided, once it has ended. */
  analysisEnd(): AnalysisEnd {
    if (this.ended === null) throw new Error('the analysis has not ended');
    return this.ended;
  }
}

/**
 * The stored file, passed on no faster than the store writes: each chunk waits until the
 * writes queued so far are done, so the batches waiting in memory stay a chunk's worth.
 */
function throttled(source: Readable, writes: BatchedWrites): Readable {
  const gate = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      writes.settled().then(() => done(null, chunk), done);
    },
  });
  source.on('error', (e) => gate.destroy(e));
  return source.pipe(gate);
}

/** Progress over both passes: each reads the whole file, so each counts for half of it. */
class Progress {
  private lastReport = 0;
  /** Messages the first pass found: the second reports them as its total. */
  private found = 0;

  constructor(private readonly size: number) {}

  firstPass(bytes: number, messages: number): void {
    this.found = messages;
    this.send(Math.floor(bytes / 2), messages);
  }

  secondPass(bytes: number): void {
    this.send(Math.ceil(this.size / 2) + Math.floor(bytes / 2), this.found);
  }

  private send(bytes: number, messages: number): void {
    const now = Date.now();
    if (now - this.lastReport < PROGRESS_INTERVAL_MS) return;
    this.lastReport = now;
    report({ type: 'progress', bytes, messages });
  }
}

/** The first pass: where each call ends (the scanner's map of Call-IDs goes once this returns). */
async function callEndsOf(blobs: BlobStore, job: AnalysisJob, progress: Progress): Promise<CallEnds> {
  const scanner = new CallEndScanner();
  const decoded = await decodeCapture(blobs.open(job.sha256), {
    message: (m) => scanner.add(m),
    progress: (bytes, messages) => progress.firstPass(bytes, messages),
  });
  return scanner.result(decoded.lastTime);
}

async function run(job: AnalysisJob): Promise<void> {
  const { store, blobs } = await openStores(job.dataDir);
  try {
    const progress = new Progress(job.size);
    const callEnds = await callEndsOf(blobs, job, progress);
    const writer = store.analysisWriter(job.captureId);
    const writes = new BatchedWrites(writer);
    const analyzer = new StreamingAnalyzer(writes, {}, callEnds);
    const identities = new IdentityCollector();
    const decoded = await decodeCapture(throttled(blobs.open(job.sha256), writes), {
      message(m, raw) {
        const link = analyzer.add(m);
        identities.add(m);
        // `raw` is only valid during this call.
        writes.message({ message: m, raw: Buffer.from(raw), link });
      },
      progress: (bytes) => progress.secondPass(bytes),
    });
    analyzer.finish(decoded.lastTime);
    writes.flush();
    await writes.settled();
    await writer.finish(
      {
        file: {
          name: job.name,
          format: decoded.info.format,
          compression: decoded.info.compression,
          linkTypes: decoded.info.linkTypes,
          packets: decoded.info.packets,
          bytes: decoded.info.bytes,
        },
        warnings: decoded.warnings,
        firstTime: decoded.firstTime ? formatTimestamp(decoded.firstTime) : null,
        lastTime: decoded.lastTime ? formatTimestamp(decoded.lastTime) : null,
        messages: decoded.messages,
        identities: identities.result(),
      },
      writes.analysisEnd(),
    );
    report({ type: 'done' });
  } catch (e) {
    // A file that is no capture says so; anything else is a defect worth its message too.
    const reason = e instanceof CaptureFormatError ? e.message : `analysis failed: ${e instanceof Error ? e.message : String(e)}`;
    report({ type: 'failed', reason });
  } finally {
    await store.close();
  }
}

await run(workerData as AnalysisJob);
