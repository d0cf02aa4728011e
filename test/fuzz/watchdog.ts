// A hang in the decoder is a synchronous loop: no timer of the test can fire while it spins,
// so the test's own time budget would never be checked and the run would just stall. A worker
// thread watches instead: each case is announced in shared memory (its input copied there), and
// when one runs longer than the limit the worker writes the input to a file, says where on
// stderr, and kills the process, so even an endless loop ends with its input saved.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** Inputs larger than this are not saved whole (the description still says which case it was). */
const MAX_SAVED_INPUT = 8 * 1024 * 1024;
const MAX_LABEL = 4096;

/** Slots of the shared Int32Array. */
const CASE_COUNTER = 0;
const RUNNING = 1;
const INPUT_LENGTH = 2;
const LABEL_LENGTH = 3;
const HEADER_BYTES = 16;

const WATCHER = `
const { workerData } = require('node:worker_threads');
const { writeFileSync, writeSync } = require('node:fs');
const state = new Int32Array(workerData.shared, 0, 4);
const label = new Uint8Array(workerData.shared, ${HEADER_BYTES}, ${MAX_LABEL});
const input = new Uint8Array(workerData.shared, ${HEADER_BYTES + MAX_LABEL});
for (;;) {
  const seen = Atomics.load(state, ${CASE_COUNTER});
  const waited = Atomics.wait(state, ${CASE_COUNTER}, seen, workerData.limitMs);
  if (waited !== 'timed-out' || Atomics.load(state, ${RUNNING}) !== 1) continue;
  const text = Buffer.from(label.subarray(0, Atomics.load(state, ${LABEL_LENGTH}))).toString('utf8');
  const file = workerData.dumpPrefix + process.pid + '-' + seen + '.bin';
  writeFileSync(file, input.subarray(0, Atomics.load(state, ${INPUT_LENGTH})));
  writeSync(2, '\\nfuzz watchdog: a case ran longer than ' + workerData.limitMs + ' ms: ' + text + '\\ninput saved to ' + file + '\\n');
  process.kill(process.pid, 'SIGKILL');
}`;

export class Watchdog {
  private readonly state: Int32Array;
  private readonly label: Uint8Array;
  private readonly input: Uint8Array;
  private readonly worker: Worker;

  constructor(limitMs: number) {
    const shared = new SharedArrayBuffer(HEADER_BYTES + MAX_LABEL + MAX_SAVED_INPUT);
    this.state = new Int32Array(shared, 0, 4);
    this.label = new Uint8Array(shared, HEADER_BYTES, MAX_LABEL);
    this.input = new Uint8Array(shared, HEADER_BYTES + MAX_LABEL);
    this.worker = new Worker(WATCHER, { eval: true, workerData: { shared, limitMs, dumpPrefix: join(tmpdir(), 'sipladder-fuzz-hang-') } });
    this.worker.unref();
  }

  /** Runs one case under watch; `describe` says how to reproduce it (seed, mutation). */
  async watch<T>(describe: string, input: Buffer, run: () => Promise<T>): Promise<T> {
    const label = Buffer.from(describe.slice(0, MAX_LABEL / 4), 'utf8');
    this.label.set(label);
    Atomics.store(this.state, LABEL_LENGTH, label.length);
    const saved = Math.min(input.length, this.input.length);
    this.input.set(input.subarray(0, saved));
    Atomics.store(this.state, INPUT_LENGTH, saved);
    Atomics.store(this.state, RUNNING, 1);
    this.tick();
    try {
      return await run();
    } finally {
      Atomics.store(this.state, RUNNING, 0);
      this.tick();
    }
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }

  private tick(): void {
    Atomics.add(this.state, CASE_COUNTER, 1);
    Atomics.notify(this.state, CASE_COUNTER);
  }
}
