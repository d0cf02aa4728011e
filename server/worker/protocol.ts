// What the main thread and an analysis worker tell each other.

/** workerData of an analysis worker. */
export interface AnalysisJob {
  dataDir: string;
  captureId: number;
  sha256: string;
  name: string;
}

export type WorkerReport =
  /** Bytes of the stored file read so far and SIP messages decoded. */
  | { type: 'progress'; bytes: number; messages: number }
  /** The analysis is stored and the capture is 'ready'. */
  | { type: 'done' }
  /** Decoding or analysis failed for a reason worth showing (the file is no capture, ...). */
  | { type: 'failed'; reason: string };
