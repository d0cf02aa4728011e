// Captures made for the tests from the corpus.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { corpusFile } from './server.js';

const PCAP_GLOBAL_HEADER = 24;
const PCAP_RECORD_HEADER = 16;
/** Seconds between copies: longer than the mix itself, so the copies do not overlap. */
const COPY_SPACING_SEC = 100;

/**
 * The 500-call mix (classic pcap) repeated `copies` times one after the other, each copy's
 * timestamps moved on: a capture that takes a few seconds to analyse, for tests that must
 * catch an analysis while it runs. Written once per size to the temp directory.
 */
export function bigCapture(copies: number): string {
  const path = join(tmpdir(), `sipladder-test-callmix-x${copies}.pcap`);
  if (existsSync(path)) return path;
  const source = readFileSync(corpusFile('callmix-udp-500', 'pcap'));
  const records = source.subarray(PCAP_GLOBAL_HEADER);
  const parts = [source.subarray(0, PCAP_GLOBAL_HEADER)];
  for (let copy = 0; copy < copies; copy++) {
    const shifted = Buffer.from(records);
    for (let at = 0; at < shifted.length; at += PCAP_RECORD_HEADER + shifted.readUInt32LE(at + 8)) {
      shifted.writeUInt32LE(shifted.readUInt32LE(at) + copy * COPY_SPACING_SEC, at);
    }
    parts.push(shifted);
  }
  writeFileSync(path, Buffer.concat(parts));
  return path;
}
