// Builds the message text index of each capture once its analysis is stored, so that a
// capture is ready without waiting for it: one capture at a time, in a worker thread
// (text-index-worker.ts). Searches are complete meanwhile (they read what the index does not
// reach yet). A build cut off by a stop or a crash keeps what it committed; the server takes
// it up again at its next start (Store.capturesToIndex).
import { Worker } from 'node:worker_threads';
import type { TextIndexJob } from './protocol.js';

export interface TextIndexerOptions {
  dataDir: string;
  /** Messages added to the index per transaction. */
  batchMessages: number;
  /** Told when a build fails: its capture stays searchable, by reading its messages. */
  onError(captureId: number, error: Error): void;
}

interface RunningBuild {
  captureId: number;
  worker: Worker;
  exited: Promise<void>;
}

/**
 * Messages added to the index per transaction. Each holds the database's write lock for 0.2
 * to 0.3 s (other writers wait meanwhile); smaller batches make more, smaller index segments
 * to merge: with 2000 the index of 226 800 messages took a fifth more CPU, with 10 000 no less.
 */
export const DEFAULT_TEXT_INDEX_BATCH = 5000;

/** The compiled worker next to this module (dist/server/worker/). */
const WORKER_URL = new URL('./text-index-worker.js', import.meta.url);

export class TextIndexer {
  private readonly waiting: number[] = [];
  private running: RunningBuild | null = null;
  private closed = false;

  constructor(private readonly options: TextIndexerOptions) {}

  /** Queues the build of a ready capture's index; queuing a capture already queued or building is a no-op. */
  enqueue(captureId: number): void {
    if (this.closed || this.running?.captureId === captureId || this.waiting.includes(captureId)) return;
    this.waiting.push(captureId);
    this.startNext();
  }

  /** Stops building; what was committed stays, and the next start takes it up. */
  async close(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    if (this.running === null) return;
    const { worker, exited } = this.running;
    await worker.terminate();
    await exited;
  }

  private startNext(): void {
    if (this.closed || this.running !== null) return;
    const captureId = this.waiting.shift();
    if (captureId === undefined) return;
    const workerData: TextIndexJob = { dataDir: this.options.dataDir, captureId, batchMessages: this.options.batchMessages };
    const worker = new Worker(WORKER_URL, { workerData });
    let failure: Error | null = null;
    worker.on('error', (e) => (failure = e));
    const exited = new Promise<void>((resolve) => {
      worker.once('exit', (code) => {
        if (!this.closed && (failure !== null || code !== 0)) this.options.onError(captureId, failure ?? new Error(`worker exit code ${code}`));
        this.running = null;
        resolve();
        this.startNext();
      });
    });
    this.running = { captureId, worker, exited };
  }
}
