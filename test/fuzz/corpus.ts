// The corpus captures as the fuzz tests mutate them: the file bytes, where each record lies,
// and tshark's ground truth (messages.json) keyed by frame, so a message decoded from a damaged
// copy can be checked against what the intact capture holds.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The shared corpus sits beside the work tree (../shared/corpus), in CI as here. */
export const CORPUS = join(HERE, '../../../shared/corpus');
export const FIXTURES = join(HERE, '../fixtures/fuzz');

/** One record of messages.json: the fields the fuzz tests compare. */
export interface TruthMessage {
  msg: number;
  frame: number;
  index_in_frame: number;
  src: string;
  dst: string;
  transport: string;
  type: 'request' | 'response';
  method?: string;
  status?: number;
  call_id: string;
  cseq: string;
  via_branch: string | null;
  from_tag: string | null;
  to_tag: string | null;
  content_length: number | null;
  reassembled_from_frames?: number[];
}

/** A packet-carrying record of a capture file: pcap record or pcapng packet block. */
export interface PacketRecord {
  /** 1-based, as messages.json counts frames. */
  frame: number;
  start: number;
  end: number;
}

export interface CorpusCapture {
  /** "call-basic-udp.pcap" */
  label: string;
  name: string;
  format: 'pcap' | 'pcapng';
  bytes: Buffer;
  /** Packet records in file order. */
  packets: PacketRecord[];
  /** Offsets of every record or block (packet or not), plus the end of the file. */
  boundaries: number[];
  truth: TruthMessage[];
  /** The frames each message was built from (its own frame included). */
  framesOf: Map<TruthMessage, number[]>;
  [fc.toStringMethod]: () => string;
}

/** Corpus folders with ground truth, smallest capture first. */
export function corpusNames(): string[] {
  return readdirSync(CORPUS, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(CORPUS, e.name, 'messages.json')))
    .map((e) => e.name)
    .sort();
}

export function loadCapture(name: string, format: 'pcap' | 'pcapng'): CorpusCapture {
  const bytes = readFileSync(join(CORPUS, name, `${name}.${format}`));
  const truth = (JSON.parse(readFileSync(join(CORPUS, name, 'messages.json'), 'utf8')) as { messages: TruthMessage[] }).messages;
  const { packets, boundaries } = format === 'pcap' ? pcapLayout(bytes) : pcapngLayout(bytes);
  const framesOf = new Map(truth.map((t) => [t, [...new Set([...(t.reassembled_from_frames ?? []), t.frame])]]));
  const label = `${name}.${format}`;
  // fast-check prints a counterexample's capture by its name, not its bytes.
  return { label, name, format, bytes, packets, boundaries, truth, framesOf, [fc.toStringMethod]: () => label };
}

/** Record layout of a valid classic pcap (either byte order). */
export function pcapLayout(file: Buffer): { packets: PacketRecord[]; boundaries: number[] } {
  const le = file.readUInt32LE(0) === 0xa1b2c3d4 || file.readUInt32LE(0) === 0xa1b23c4d;
  const packets: PacketRecord[] = [];
  const boundaries = [0];
  for (let pos = 24; pos < file.length; ) {
    const end = pos + 16 + (le ? file.readUInt32LE(pos + 8) : file.readUInt32BE(pos + 8));
    packets.push({ frame: packets.length + 1, start: pos, end });
    boundaries.push(pos);
    pos = end;
  }
  boundaries.push(file.length);
  return { packets, boundaries };
}

/** Block layout of a valid little-endian pcapng: packet blocks are EPB (6), SPB (3) and PB (2). */
export function pcapngLayout(file: Buffer): { packets: PacketRecord[]; boundaries: number[] } {
  const packets: PacketRecord[] = [];
  const boundaries: number[] = [];
  for (let pos = 0; pos < file.length; ) {
    const type = file.readUInt32LE(pos);
    const end = pos + file.readUInt32LE(pos + 4);
    if (type === 6 || type === 3 || type === 2) packets.push({ frame: packets.length + 1, start: pos, end });
    boundaries.push(pos);
    pos = end;
  }
  boundaries.push(file.length);
  return { packets, boundaries };
}

/** Where the packet bytes of a record start: after the pcap record header or the EPB's fixed fields. */
export function packetDataOffset(capture: CorpusCapture, record: PacketRecord): number {
  return record.start + (capture.format === 'pcap' ? 16 : 28);
}

/** Captured length of a record's packet. */
export function packetDataLength(capture: CorpusCapture, record: PacketRecord): number {
  return capture.bytes.readUInt32LE(record.start + (capture.format === 'pcap' ? 8 : 20));
}
