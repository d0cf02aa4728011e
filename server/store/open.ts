// The one place that chooses the storage implementation: the main thread and every
// analysis worker open their stores here.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FileBlobStore } from './FileBlobStore.js';
import { SqliteStore } from './SqliteStore.js';
import type { BlobStore, Store } from './Store.js';

export const DATABASE_FILE = 'sipladder.db';

export async function openStores(dataDir: string): Promise<{ store: Store; blobs: BlobStore }> {
  mkdirSync(dataDir, { recursive: true });
  const blobs = new FileBlobStore(dataDir);
  await blobs.init();
  return { store: new SqliteStore(join(dataDir, DATABASE_FILE)), blobs };
}
