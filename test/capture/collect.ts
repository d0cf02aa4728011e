// Runs the capture readers and keeps what they deliver (packet bytes copied: the views are
// valid only during the callback).
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureParser, readCapture, sniffCaptureFormat } from '../../src/capture/index.js';
import type { CaptureInfo, DecodeWarning, RawPacket } from '../../src/model.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CORPUS_DIR = path.resolve(REPO_ROOT, '../shared/corpus');
export const TRACES_DIR = path.join(REPO_ROOT, 'traces');
export const FIXTURES_DIR = path.join(REPO_ROOT, 'test/fixtures/capture');

export interface Collected {
  packets: RawPacket[];
  warnings: DecodeWarning[];
  info: CaptureInfo;
}

function keep(p: RawPacket): RawPacket {
  return { ...p, ts: { ...p.ts }, data: Buffer.from(p.data) };
}

/** Parses `bytes` with CaptureParser, pushed in chunks of `chunkSize` (all at once by default). */
export function parseBytes(bytes: Buffer, chunkSize = bytes.length || 1): Collected {
  const packets: RawPacket[] = [];
  const warnings: DecodeWarning[] = [];
  const parser = new CaptureParser({ packet: (p) => packets.push(keep(p)), warning: (w) => warnings.push(w) });
  for (let pos = 0; pos < bytes.length; pos += chunkSize) parser.push(bytes.subarray(pos, pos + chunkSize));
  return { packets, warnings, info: parser.end() };
}

/** Parses `bytes` pushed as the given chunks (split at each offset in `cuts`). */
export function parseSplit(bytes: Buffer, cuts: number[]): Collected {
  const packets: RawPacket[] = [];
  const warnings: DecodeWarning[] = [];
  const parser = new CaptureParser({ packet: (p) => packets.push(keep(p)), warning: (w) => warnings.push(w) });
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    parser.push(bytes.subarray(from, cut));
    from = cut;
  }
  return { packets, warnings, info: parser.end() };
}

/** Reads a path, stream or iterable with readCapture. */
export async function readAll(source: Parameters<typeof readCapture>[0]): Promise<Collected & { progress: number[] }> {
  const packets: RawPacket[] = [];
  const warnings: DecodeWarning[] = [];
  const progress: number[] = [];
  const info = await readCapture(source, {
    packet: (p) => packets.push(keep(p)),
    warning: (w) => warnings.push(w),
    progress: (bytes) => progress.push(bytes),
  });
  return { packets, warnings, info, progress };
}

export interface CorpusEntry {
  name: string;
  dir: string;
  /** The capture files of the folder: NAME.pcapng, NAME.pcap and (sometimes) NAME.nsec.pcap. */
  files: string[];
  truth: { frames: number; first_frame_epoch: string; last_frame_epoch: string };
  /** Link type the README gives: Linux cooked capture v1 for -sll, Ethernet otherwise. */
  linkType: number;
}

export function corpusEntries(): CorpusEntry[] {
  return readdirSync(CORPUS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(CORPUS_DIR, d.name, 'messages.json')))
    .map((d) => {
      const dir = path.join(CORPUS_DIR, d.name);
      const files = readdirSync(dir)
        .filter((f) => /\.(pcap|pcapng)$/.test(f))
        .map((f) => path.join(dir, f));
      const truth = JSON.parse(readFileSync(path.join(dir, 'messages.json'), 'utf8'));
      return { name: d.name, dir, files, truth, linkType: d.name.endsWith('-sll') ? 113 : 1 };
    });
}

/** Microsecond classic pcap files shipped in traces/, whatever their names (none yet is fine). */
export function tracePcaps(): string[] {
  if (!existsSync(TRACES_DIR)) return [];
  return readdirSync(TRACES_DIR, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(TRACES_DIR, f))
    .filter((f) => statSync(f).isFile() && sniffCaptureFormat(fileHead(f, 4)) === 'pcap');
}

function fileHead(file: string, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(length);
    return head.subarray(0, readSync(fd, head, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}
