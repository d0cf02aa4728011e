// What the main thread and an analysis worker tell each other.

/** workerData of an analysis worker. */
export interface AnalysisJob {
  dataDir: string;
  captureId: number;
  sha256: string;
  name: string;
  /** Bytes of the stored file. */
  size: number;
}

export type WorkerReport =
  /**
   * Progress through the stored file, which is read twice (where calls end, then the analysis):
   * bytes counts each pass as half the file; messages are those the first pass found so far.
   */
  | { type: 'progress'; bytes: number; messages: number }
  /** The analysis is stored and the capture is 'ready'. */
  | { type: 'done' }
  /** Decoding or analysis failed for a reason worth showing (the file is no capture, ...). */
  | { type: 'failed'; reason: string };

/** workerData of a text index worker. */
export interface TextIndexJob {
  dataDir: string;
  captureId: number;
  /** Messages added to the index per transaction. */
  batchMessages: number;
}
