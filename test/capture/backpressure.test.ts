// A consumer slower than the reader holds the reading back (CaptureHandlers.beforeRead): the
// CLI's JSON document waits for its pipe to drain this way instead of piling up in memory. For
// each way a capture is read: a file in 4 MiB reads, a stream of chunks, a gzip stream.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readCapture } from '../../src/capture/index.js';
import { buildPcap, chunked } from './builders.js';

/** 6000 packets of 1000 bytes: more than one 4 MiB read of a file. */
const PACKETS = 6000;
const capture = buildPcap({}, Array.from({ length: PACKETS }, (_, i) => ({ sec: 1_700_000_000 + i, frac: 0, data: Buffer.alloc(1000, i & 0xff) })));

const scratch = mkdtempSync(join(tmpdir(), 'sipladder-pace-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const sources: [string, () => string | AsyncIterable<Buffer>][] = [
  ['a file', () => {
    const path = join(scratch, 'capture.pcap');
    writeFileSync(path, capture);
    return path;
  }],
  ['a stream of chunks', () => chunked(capture, 64 * 1024)],
  ['a gzip stream', () => chunked(gzipSync(capture), 16 * 1024)],
];

describe('reading waits for a consumer that asks it to', () => {
  it.each(sources)('%s', async (_name, source) => {
    let packets = 0;
    let release: () => void = () => {};
    let heldAt = -1;
    let calls = 0;
    const reading = readCapture(source(), {
      packet: () => void packets++,
      warning: () => {},
      beforeRead: () => {
        // The first time it is asked, the consumer needs a moment.
        if (calls++ > 0) return null;
        heldAt = packets;
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(heldAt).toBeGreaterThan(0);
    expect(heldAt).toBeLessThan(PACKETS);
    // Nothing more is read while the consumer holds the reading back.
    expect(packets).toBe(heldAt);
    release();
    const info = await reading;
    expect(packets).toBe(PACKETS);
    expect(info.packets).toBe(PACKETS);
    expect(calls).toBeGreaterThan(1);
  });
});
