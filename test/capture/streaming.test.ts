// Memory stays bounded: the parser copies only records cut by chunk boundaries, and never
// allocates what a length field claims before the length is checked.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CaptureParser } from '../../src/capture/index.js';
import { pcapngBlockOffsets, pcapRecordOffsets } from './builders.js';
import { corpusEntries } from './collect.js';

const entries = corpusEntries();
const corpusFile = (name: string, ext: string) => readFileSync(path.join(entries.find((e) => e.name === name)!.dir, `${name}${ext}`));

/** Sizes of every Buffer.allocUnsafe call made while `run` runs (the parser's only way to allocate). */
function allocations(run: () => void): number[] {
  const sizes: number[] = [];
  const original = Buffer.allocUnsafe;
  const spy = vi.spyOn(Buffer, 'allocUnsafe').mockImplementation((size: number) => {
    sizes.push(size);
    return original(size);
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return sizes;
}

afterEach(() => vi.restoreAllMocks());

/** Pushes `rounds` copies of a capture's records (after its header) in chunks of `chunkSize`, never holding them all. */
function pushRepeated(parser: CaptureParser, file: Buffer, headerLength: number, rounds: number, chunkSize: number): number {
  const body = file.subarray(headerLength);
  parser.push(file.subarray(0, headerLength));
  let pushed = headerLength;
  for (let round = 0; round < rounds; round++) {
    for (let pos = 0; pos < body.length; pos += chunkSize) {
      const chunk = body.subarray(pos, pos + chunkSize);
      parser.push(chunk);
      pushed += chunk.length;
    }
  }
  return pushed;
}

describe('bounded memory', () => {
  it('a 64 MB pcap stream in 64 KiB chunks needs only a small carry-over buffer', () => {
    const file = corpusFile('callmix-udp-500', '.pcap');
    let packets = 0;
    const parser = new CaptureParser({ packet: () => packets++, warning: (w) => expect.fail(w.message) });
    const rounds = Math.ceil((64 << 20) / file.length);
    const sizes = allocations(() => pushRepeated(parser, file, 24, rounds, 65536));
    parser.end();
    expect(packets).toBe(rounds * (pcapRecordOffsets(file).length - 1));
    // One carry-over buffer, reallocated only when a longer record comes, reused at every boundary.
    expect(sizes.length).toBeGreaterThan(0);
    expect(sizes.length).toBeLessThanOrEqual(4);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(256 * 1024);
  });

  it('a 64 MB pcapng stream in 64 KiB chunks likewise', () => {
    const file = corpusFile('callmix-udp-500', '.pcapng');
    const offsets = pcapngBlockOffsets(file);
    const headerLength = offsets[2]!; // SHB and IDB; the rest is EPBs and a trailing ISB
    let packets = 0;
    const parser = new CaptureParser({ packet: () => packets++, warning: (w) => expect.fail(w.message) });
    const rounds = Math.ceil((64 << 20) / file.length);
    const sizes = allocations(() => pushRepeated(parser, file, headerLength, rounds, 65536));
    parser.end();
    expect(packets).toBe(rounds * 3240);
    // One carry-over buffer, reallocated only when a longer record comes, reused at every boundary.
    expect(sizes.length).toBeGreaterThan(0);
    expect(sizes.length).toBeLessThanOrEqual(4);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(256 * 1024);
  });

  it('absurd lengths are rejected before anything of that size is allocated', () => {
    const pcap = Buffer.from(corpusFile('callmix-udp-500', '.pcap'));
    const pcapStarts = pcapRecordOffsets(pcap);
    for (const index of [5, 50, 500]) pcap.writeUInt32LE(0xfffffff0, pcapStarts[index]! + 8);
    const pcapng = Buffer.from(corpusFile('callmix-udp-500', '.pcapng'));
    const blocks = pcapngBlockOffsets(pcapng);
    pcapng.writeUInt32LE(0xfffffff0, blocks[10]! + 4);
    pcapng.writeUInt32LE(0x7ffffffc, blocks[100]! + 4);
    pcapng.writeUInt32LE(16 * 1024 * 1024 + 4, blocks[1000]! + 4);
    for (const file of [pcap, pcapng]) {
      const warnings: string[] = [];
      const parser = new CaptureParser({ packet() {}, warning: (w) => warnings.push(w.message) });
      const sizes = allocations(() => {
        for (let pos = 0; pos < file.length; pos += 4096) parser.push(file.subarray(pos, pos + 4096));
        parser.end();
      });
      expect(warnings).toHaveLength(3);
      expect(sizes.length).toBeGreaterThan(0);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(512 * 1024);
    }
  });
});
