// Runs analyses in worker threads, a few at a time, the rest waiting in a bounded queue.
// Progress and outcomes are events (the SSE endpoint and the capture summaries read them).
// A worker that throws, runs out of memory, exits or runs too long marks its capture
// failed; the server itself keeps answering.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Store } from '../store/Store.js';
import type { AnalysisJob, WorkerReport } from './protocol.js';

export interface AnalysisProgress {
  bytes: number;
  totalBytes: number;
  messages: number;
}

export interface AnalysisQueueOptions {
  dataDir: string;
  store: Store;
  maxConcurrent: number;
  /** Waiting analyses beyond which new uploads are refused. */
  maxQueued: number;
  /** An analysis running longer is stopped and its capture failed. */
  timeoutMs: number;
  /** Heap limit of each worker (a capture that needs more fails instead of exhausting the machine). */
  workerMemoryMb: number;
}

interface QueuedJob {
  captureId: number;
  sha256: string;
  name: string;
  size: number;
}

interface RunningJob {
  /** Null until the store has reset the capture for this run. */
  worker: Worker | null;
  /** Set by cancel() and close(): the run is abandoned, not failed. */
  stopped: boolean;
  progress: AnalysisProgress;
  settled: Promise<void>;
}

export interface AnalysisEvents {
  progress: [captureId: number, progress: AnalysisProgress];
  ready: [captureId: number];
  failed: [captureId: number, reason: string];
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/** The compiled worker next to this module (dist/server/worker/). */
const WORKER_URL = new URL('./analysis-worker.js', import.meta.url);

export class AnalysisQueue extends EventEmitter<AnalysisEvents> {
  private readonly waiting: QueuedJob[] = [];
  private readonly running = new Map<number, RunningJob>();
  private closed = false;

  constructor(private readonly options: AnalysisQueueOptions) {
    super();
  }

  /** Whether a new upload should be refused for now. */
  isFull(): boolean {
    return this.running.size >= this.options.maxConcurrent && this.waiting.length >= this.options.maxQueued;
  }

  /** Seconds a refused client should wait before trying again: a rough guess from the backlog. */
  retryAfterSeconds(): number {
    return Math.min(300, 5 * (1 + this.waiting.length));
  }

  /** Queues an analysis; the capture must already be 'analyzing'. Queuing the same capture twice is a no-op. */
  enqueue(job: QueuedJob): void {
    if (this.closed || this.running.has(job.captureId) || this.waiting.some((j) => j.captureId === job.captureId)) return;
    this.waiting.push(job);
    this.pump();
  }

  /** Progress of a queued (zero) or running analysis, or null when the capture is neither. */
  progress(captureId: number): AnalysisProgress | null {
    const running = this.running.get(captureId);
    if (running) return running.progress;
    const queued = this.waiting.find((j) => j.captureId === captureId);
    return queued ? { bytes: 0, totalBytes: queued.size, messages: 0 } : null;
  }

  /** Stops the analysis of a capture (before deleting it); resolves once its worker is gone. */
  async cancel(captureId: number): Promise<void> {
    const index = this.waiting.findIndex((j) => j.captureId === captureId);
    if (index >= 0) {
      this.waiting.splice(index, 1);
      this.emit('failed', captureId, 'the capture was deleted');
    }
    const running = this.running.get(captureId);
    if (running) await this.stop(running);
  }

  private async stop(job: RunningJob): Promise<void> {
    job.stopped = true;
    await job.worker?.terminate();
    await job.settled;
  }

  /** Stops every worker; their captures stay 'analyzing' and are taken up at the next start. */
  async close(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    await Promise.all([...this.running.values()].map((r) => this.stop(r)));
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.options.maxConcurrent && this.waiting.length > 0) {
      this.start(this.waiting.shift()!);
    }
  }

  private start(job: QueuedJob): void {
    const progress: AnalysisProgress = { bytes: 0, totalBytes: job.size, messages: 0 };
    const workerData: AnalysisJob = { dataDir: this.options.dataDir, captureId: job.captureId, sha256: job.sha256, name: job.name, size: job.size };
    let outcome: { ok: true } | { ok: false; reason: string } | null = null;
    let timedOut = false;
    let resolveSettled!: () => void;
    const settled = new Promise<void>((resolve) => (resolveSettled = resolve));
    const entry: RunningJob = { worker: null, stopped: false, progress, settled };
    this.running.set(job.captureId, entry);

    const finish = async (code: number | null, error: Error | null) => {
      clearTimeout(timer);
      try {
        if (outcome?.ok) {
          this.emit('ready', job.captureId);
          return;
        }
        if (entry.stopped) {
          // Shut down: the capture stays 'analyzing' and is taken up at the next start.
          if (!this.closed) this.emit('failed', job.captureId, 'the capture was deleted');
          return;
        }
        const reason = outcome !== null ? outcome.reason
          : timedOut ? `analysis stopped after ${formatDuration(this.options.timeoutMs)}`
            : error !== null ? `analysis crashed: ${error.message}`
              : `analysis stopped (worker exit code ${code})`;
        await this.options.store.failAnalysis(job.captureId, reason).catch(() => undefined);
        this.emit('failed', job.captureId, reason);
      } finally {
        this.running.delete(job.captureId);
        resolveSettled();
        this.pump();
      }
    };

    let crash: Error | null = null;
    const timer = setTimeout(() => {
      timedOut = true;
      void entry.worker?.terminate();
    }, this.options.timeoutMs);

    this.options.store.beginAnalysis(job.captureId).then(
      () => {
        if (entry.stopped) {
          void finish(null, null);
          return;
        }
        const worker = new Worker(WORKER_URL, {
          workerData,
          resourceLimits: { maxOldGenerationSizeMb: this.options.workerMemoryMb },
        });
        entry.worker = worker;
        worker.on('message', (r: WorkerReport) => {
          if (r.type === 'progress') {
            progress.bytes = r.bytes;
            progress.messages = r.messages;
            this.emit('progress', job.captureId, { ...progress });
          } else if (r.type === 'done') {
            outcome = { ok: true };
          } else {
            outcome = { ok: false, reason: r.reason };
          }
        });
        worker.on('error', (e) => {
          crash = e;
        });
        worker.on('exit', (code) => void finish(code, crash));
      },
      (e: unknown) => {
        crash = e instanceof Error ? e : new Error(String(e));
        void finish(null, crash);
      },
    );
  }
}
