// One analysis in a worker thread: decode the stored capture, analyse it, and write messages
// (in batches, while decoding) and the analysis (at the end) through the worker's own store
// connection. The main thread only hears progress and the outcome, so a huge or hostile
// capture never blocks requests, and a crash here takes only this thread down.
import { parentPort, workerData } from 'node:worker_threads';
import { decodeCapture } from '../../src/pipeline.js';
import { Analyzer } from '../../src/analysis/index.js';
import { CaptureFormatError } from '../../src/capture/index.js';
import type { SipMessage } from '../../src/model.js';
import { formatTimestamp } from '../../src/timefmt.js';
import { IdentityCollector } from '../../src/views/anonymize.js';
import { openStores } from '../store/open.js';
import type { AnalysisResult } from '../store/Store.js';
import type { AnalysisJob, WorkerReport } from './protocol.js';

/** Messages per insert transaction. */
const BATCH_MESSAGES = 2000;
/** At most one progress report per this many milliseconds. */
const PROGRESS_INTERVAL_MS = 200;

function report(r: WorkerReport): void {
  parentPort!.postMessage(r);
}

async function run(job: AnalysisJob): Promise<void> {
  const { store, blobs } = await openStores(job.dataDir);
  try {
    const writer = store.analysisWriter(job.captureId);
    const analyzer = new Analyzer();
    const labels: AnalysisResult['messageLabels'] = [];
    const identities = new IdentityCollector();
    let batch: { message: SipMessage; raw: Buffer }[] = [];
    let writing: Promise<void> = Promise.resolve();
    const flush = () => {
      if (batch.length === 0) return;
      const full = batch;
      batch = [];
      writing = writing.then(() => writer.addMessages(full));
    };
    let lastReport = 0;
    const decoded = await decodeCapture(blobs.open(job.sha256), {
      message(m, raw) {
        analyzer.add(m);
        labels[m.id] = m.isRequest ? m.method : m.status;
        identities.add(m);
        // `raw` is only valid during this call.
        batch.push({ message: m, raw: Buffer.from(raw) });
        if (batch.length >= BATCH_MESSAGES) flush();
      },
      progress(bytes, messages) {
        const now = Date.now();
        if (now - lastReport < PROGRESS_INTERVAL_MS) return;
        lastReport = now;
        report({ type: 'progress', bytes, messages });
      },
    });
    flush();
    await writing;
    const analysis = analyzer.finish(decoded.lastTime);
    await writer.finish({
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
      analysis,
      messageLabels: labels,
      identities: identities.result(),
    });
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
