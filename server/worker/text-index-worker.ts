// Builds one ready capture's message text index in a worker thread, a batch of messages per
// transaction, each moving the capture's watermark with it (SqliteStore.indexMessageText):
// the main thread keeps serving, searches meanwhile read the messages beyond the watermark,
// and a stop loses at most the batch under way. It ends when the index is complete, or the
// capture is gone.
import { workerData } from 'node:worker_threads';
import { openStores } from '../store/open.js';
import { completeTextIndex } from '../store/Store.js';
import type { TextIndexJob } from './protocol.js';

const { dataDir, captureId, batchMessages } = workerData as TextIndexJob;
const { store } = await openStores(dataDir);
try {
  await completeTextIndex(store, captureId, batchMessages);
} finally {
  await store.close();
}
