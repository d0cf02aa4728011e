// The sipladder server: opens the data directory, takes up analyses a previous run left
// unfinished, preloads the bundled traces, and serves the API and the web page.
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createApp } from './app.js';
import {
  DEFAULT_BODY_TIMEOUT_MS, DEFAULT_MAX_CONCURRENT_ANALYSES, DEFAULT_MAX_CONCURRENT_UPLOADS, DEFAULT_MAX_QUEUED_ANALYSES, DEFAULT_MAX_UPLOAD_BYTES,
} from './limits.js';
import { clientErrorAnswer } from './security.js';
import { openStores } from './store/open.js';
import type { BlobStore, Store } from './store/Store.js';
import { whyNotCapture } from './upload.js';
import { AnalysisQueue } from './worker/AnalysisQueue.js';
import { DEFAULT_TEXT_INDEX_BATCH, TextIndexer } from './worker/TextIndexer.js';

export interface ServerOptions {
  port: number;
  /** Address to listen on; 127.0.0.1 unless told otherwise. */
  host?: string;
  /** SQLite database and stored captures (default ./data). */
  dataDir: string;
  /** Capture files stored and analysed at startup unless already there (the bundled traces/). */
  preloadDir?: string | null;
  /** Largest upload accepted (default 2 GiB). */
  maxUploadBytes?: number;
  /** Uploads received at once (default 8); more are refused with 503 and Retry-After. */
  maxConcurrentUploads?: number;
  /** A request body (an upload) that receives nothing for this long is answered 408 and dropped (default 60 s). */
  bodyTimeoutMs?: number;
  /** Analyses run at once (default 2); more wait in a queue. */
  maxConcurrentAnalyses?: number;
  /** Analyses waiting beyond which uploads are refused with 503 (default 32). */
  maxQueuedAnalyses?: number;
  /** An analysis running longer fails (default 1 hour). */
  analysisTimeoutMs?: number;
  /** Heap limit of each analysis worker (default 4096 MB). */
  workerMemoryMb?: number;
  /** Messages added to the text index per transaction, once a capture is ready (default 5000). */
  textIndexBatch?: number;
  /** The built web page (default web/dist). */
  webRoot?: string;
}

/**
 * Request line and headers together: room for a ladder or export of 200 long Call-IDs
 * (Node's default, 16 KiB, is not); beyond it the answer is a 400.
 */
const MAX_HEADER_BYTES = 64 * 1024;
/** A capture whose analysis was cut off this many times (the server stopped each time) is failed instead of retried again. */
export const MAX_INTERRUPTED_ATTEMPTS = 3;

/** Hashes a file by streaming it. */
async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function headOfFile(path: string, bytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Copies a local file into the blob store under its sha256. */
async function storeFile(blobs: BlobStore, path: string, sha256: string): Promise<void> {
  const upload = await blobs.createUpload();
  try {
    for await (const chunk of createReadStream(path)) await upload.write(chunk as Buffer);
    await upload.commit(sha256);
  } catch (e) {
    await upload.abort();
    throw e;
  }
}

/**
 * Captures left 'analyzing' by the previous run are analysed again, unless they were
 * already cut off too often or their file is gone: those are failed, with the reason.
 */
async function resumeInterrupted(store: Store, blobs: BlobStore, queue: AnalysisQueue): Promise<void> {
  for (const c of await store.interruptedCaptures()) {
    if (!(await blobs.has(c.sha256))) {
      await store.failAnalysis(c.id, 'the stored capture file is missing');
    } else if (c.attempts >= MAX_INTERRUPTED_ATTEMPTS) {
      await store.failAnalysis(c.id, `the analysis was interrupted ${c.attempts} times (the server stopped during it); retry it with POST /api/captures/${c.id}/retry`);
    } else {
      queue.enqueue({ captureId: c.id, sha256: c.sha256, name: c.name, size: c.size });
    }
  }
}

/** Adds every capture file of `dir` not stored yet (by content) and queues its analysis. */
async function preload(dir: string, store: Store, blobs: BlobStore, queue: AnalysisQueue): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return; // No traces folder: nothing to preload.
  }
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path);
    if (!info.isFile() || whyNotCapture(await headOfFile(path, 4096)) !== null) continue;
    const sha256 = await sha256OfFile(path);
    if ((await store.captureBySha256(sha256)) !== null) continue;
    await storeFile(blobs, path, sha256);
    const { capture, created } = await store.addCapture({ name, size: info.size, sha256 });
    if (created) queue.enqueue({ captureId: capture.id, sha256, name, size: info.size });
  }
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolvePromise(server.address() as AddressInfo);
    });
  });
}

export async function startServer(options: ServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  const dataDir = resolve(options.dataDir);
  const { store, blobs } = await openStores(dataDir);
  await blobs.cleanTemporary();
  const queue = new AnalysisQueue({
    dataDir,
    store,
    maxConcurrent: options.maxConcurrentAnalyses ?? DEFAULT_MAX_CONCURRENT_ANALYSES,
    maxQueued: options.maxQueuedAnalyses ?? DEFAULT_MAX_QUEUED_ANALYSES,
    timeoutMs: options.analysisTimeoutMs ?? 60 * 60 * 1000,
    workerMemoryMb: options.workerMemoryMb ?? 4096,
  });
  // Every open event stream listens to the queue.
  queue.setMaxListeners(0);
  const indexer = new TextIndexer({
    dataDir,
    batchMessages: options.textIndexBatch ?? DEFAULT_TEXT_INDEX_BATCH,
    onError: (captureId, e) => process.stderr.write(`sipladder server: building the text index of capture ${captureId} failed: ${e.message}\n`),
  });
  // A capture's messages are indexed once its analysis is stored: the two would take turns at the database's write lock.
  queue.on('ready', (captureId) => indexer.enqueue(captureId));
  for (const id of await store.capturesToIndex()) indexer.enqueue(id);
  await resumeInterrupted(store, blobs, queue);
  if (options.preloadDir) await preload(resolve(options.preloadDir), store, blobs, queue);

  const app = createApp({
    store,
    blobs,
    queue,
    maxUploadBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    maxConcurrentUploads: options.maxConcurrentUploads ?? DEFAULT_MAX_CONCURRENT_UPLOADS,
    bodyTimeoutMs: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
    webRoot: resolve(options.webRoot ?? 'web/dist'),
  });
  // No limit on a whole request's time (Node's default, 5 minutes, would cut off a 2 GiB upload
  // on a slow link): a body that stalls is stopped by the app's body timeout instead.
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 0 }, app);
  server.on('clientError', clientErrorAnswer(MAX_HEADER_BYTES));
  const host = options.host ?? '127.0.0.1';
  let address: AddressInfo;
  try {
    address = await listen(server, options.port, host);
  } catch (e) {
    await queue.close();
    await indexer.close();
    await store.close();
    throw e;
  }
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    async close() {
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeAllConnections();
      await closed;
      await queue.close();
      await indexer.close();
      await store.close();
    },
  };
}
