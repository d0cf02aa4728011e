// Runs the whole decoder (decodeCapture: capture -> net -> transport -> sip) on one input, under
// the hang watchdog and a CPU-time budget, and keeps what a property needs to judge it: every
// message with the original frame numbers it came from, every warning, and how it ended.
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { expect } from 'vitest';
import { CaptureFormatError, CaptureParser } from '../../src/capture/index.js';
import type { DecodeWarning, RawPacket, SipMessage } from '../../src/model.js';
import { NetworkDecoder, type NetworkDecoderOptions } from '../../src/net/index.js';
import { decodeCapture } from '../../src/pipeline.js';
import { TransportDecoder, type TransportDecoderOptions } from '../../src/transport/index.js';
import type { CorpusCapture, TruthMessage } from './corpus.js';
import { Watchdog } from './watchdog.js';

// ------------------------------------------------------------------ runs and seeds

/**
 * SIPLADDER_FUZZ_SCALE multiplies every property's number of runs (the long run sets it);
 * SIPLADDER_FUZZ_SEED replays one seed. The default run uses fixed seeds, a scaled run random
 * ones, printed before each property so that a failure, or a hang the watchdog ends, can be replayed.
 */
const SCALE = Math.max(1, Number(process.env.SIPLADDER_FUZZ_SCALE ?? 1));
const SEED = process.env.SIPLADDER_FUZZ_SEED === undefined ? null : Number(process.env.SIPLADDER_FUZZ_SEED);

export const LONG_RUN = SCALE > 1;

export function fuzzParameters(name: string, numRuns: number, fixedSeed: number): fc.Parameters<unknown> {
  const seed = SEED ?? (LONG_RUN ? (Math.random() * 0x7fffffff) | 0 : fixedSeed);
  const runs = Math.ceil(numRuns * SCALE);
  if (LONG_RUN || SEED !== null) console.log(`fuzz: ${name}: ${runs} runs, seed ${seed} (replay: SIPLADDER_FUZZ_SEED=${seed})`);
  return { numRuns: runs, seed, endOnFailure: false };
}

/** Test timeout for a property: generous, and scaled with the runs. */
export function timeoutFor(defaultMs: number): number {
  return defaultMs * SCALE * 2;
}

// ------------------------------------------------------------------ budget and watchdog

/**
 * CPU time one decode may take. A corpus capture decodes in about a millisecond, the largest
 * (1.4 MB) in about 40: the budget is there to catch a hang or a blow-up (quadratic work on
 * damaged input), not to measure speed, so it is far above that even on a loaded machine.
 */
export function cpuBudgetMs(inputBytes: number): number {
  return 3000 + inputBytes / 1000;
}

/** Wall time after which the watchdog declares a hang and ends the process. */
const HANG_LIMIT_MS = 120_000;

let watchdog: Watchdog | null = null;

export function startWatchdog(): void {
  watchdog ??= new Watchdog(HANG_LIMIT_MS);
}

export async function stopWatchdog(): Promise<void> {
  await watchdog?.stop();
  watchdog = null;
}

// ------------------------------------------------------------------ decoding

/** The fields of a message the fuzz tests compare, named as messages.json names them. */
export interface MessageFields {
  src: string;
  dst: string;
  transport: string;
  type: 'request' | 'response';
  method?: string;
  status?: number;
  call_id: string | null;
  cseq: string | null;
  via_branch: string | null;
  from_tag: string | null;
  to_tag: string | null;
  content_length: number | null;
}

export function truthFields(t: TruthMessage): MessageFields {
  return {
    src: t.src,
    dst: t.dst,
    transport: t.transport,
    type: t.type,
    ...(t.type === 'request' ? { method: t.method } : { status: t.status }),
    call_id: t.call_id,
    cseq: t.cseq,
    via_branch: t.via_branch,
    from_tag: t.from_tag,
    to_tag: t.to_tag,
    content_length: t.content_length,
  };
}

function decodedFields(m: SipMessage): MessageFields {
  return {
    src: m.src,
    dst: m.dst,
    transport: m.transport,
    type: m.isRequest ? 'request' : 'response',
    ...(m.isRequest ? { method: m.method ?? undefined } : { status: m.status ?? undefined }),
    call_id: m.callId,
    cseq: m.cseq,
    via_branch: m.branch,
    from_tag: m.fromTag,
    to_tag: m.toTag,
    content_length: m.contentLength,
  };
}

export interface DecodedMessage {
  frame: number;
  indexInFrame: number;
  /** The frame of the intact capture the message's packet was (null: a record the damage made). */
  originalFrame: number | null;
  originalFrames: (number | null)[];
  malformed: string | null;
  fields: MessageFields;
}

export interface Outcome {
  /** Set when decodeCapture rejected. */
  error: unknown;
  messages: DecodedMessage[];
  warnings: DecodeWarning[];
  /** Warnings as the sink saw them (the result keeps only the first 1000). */
  warningCount: number;
  packets: number;
  cpuMs: number;
}

export interface DecodeOptions {
  /** Original frame of the record at each file offset; records not listed map to null. */
  frameAt?: Map<number, number>;
  /** Splits the input into chunks of these sizes (cycled); one chunk when absent. */
  chunkSizes?: number[];
  /** Says how to reproduce the case, for the watchdog. */
  describe?: string;
}

/** Original frame by record offset, for mutations that leave every record where it was. */
export function framesByOffset(capture: CorpusCapture): Map<number, number> {
  return new Map(capture.packets.map((p) => [p.start, p.frame]));
}

function chunked(bytes: Buffer, sizes: number[] | undefined): Buffer[] {
  if (sizes === undefined || sizes.length === 0) return [bytes];
  const chunks: Buffer[] = [];
  for (let pos = 0, i = 0; pos < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]!);
    chunks.push(bytes.subarray(pos, pos + size));
    pos += size;
  }
  return chunks;
}

/** Decodes `bytes` with decodeCapture, never throwing: a rejection is returned in `error`. */
export async function decodeBytes(bytes: Buffer, options: DecodeOptions = {}): Promise<Outcome> {
  const frameAt = options.frameAt ?? new Map<number, number>();
  const offsetOfFrame: number[] = [];
  const messages: DecodedMessage[] = [];
  let warningCount = 0;
  const run = async (): Promise<Outcome> => {
    const started = process.cpuUsage();
    let error: unknown = null;
    let warnings: DecodeWarning[] = [];
    let packets = 0;
    try {
      const result = await decodeCapture(Readable.from(chunked(bytes, options.chunkSizes)), {
        packet(p) {
          offsetOfFrame[p.frame] = p.fileOffset;
        },
        message(m) {
          const original = (frame: number) => frameAt.get(offsetOfFrame[frame]!) ?? null;
          messages.push({
            frame: m.frame,
            indexInFrame: m.indexInFrame,
            originalFrame: original(m.frame),
            originalFrames: m.frames.map(original),
            malformed: m.malformed,
            fields: decodedFields(m),
          });
        },
        warning() {
          warningCount++;
        },
      });
      warnings = result.warnings;
      packets = result.info.packets;
    } catch (err) {
      error = err;
    }
    const used = process.cpuUsage(started);
    return { error, messages, warnings, warningCount, packets, cpuMs: (used.user + used.system) / 1000 };
  };
  if (watchdog === null) return run();
  return watchdog.watch(options.describe ?? `${bytes.length}-byte input`, bytes, run);
}

// ------------------------------------------------------------------ invariants

/**
 * What holds for any input: decodeCapture resolves, within the CPU budget; it may reject only
 * with CaptureFormatError, and only when the input does not start like a capture (gzip data
 * may inflate to something else: `startsLikeCapture` false). Warnings point into the capture
 * (`captureLength`: the inflated length for gzip, where offsets count inflated bytes).
 */
export function expectRobust(
  outcome: Outcome,
  input: Buffer,
  { startsLikeCapture = startsWithCaptureMagic(input), captureLength = input.length }: { startsLikeCapture?: boolean; captureLength?: number } = {},
): void {
  if (outcome.error !== null) {
    expect(outcome.error).toBeInstanceOf(CaptureFormatError);
    expect(startsLikeCapture, `rejected a capture: ${(outcome.error as Error).message}`).toBe(false);
  }
  expect(outcome.cpuMs).toBeLessThan(cpuBudgetMs(input.length));
  for (const w of outcome.warnings) {
    if (w.offset !== null) expect(w.offset).toBeLessThanOrEqual(captureLength);
  }
}

/** pcap (either byte order, micro- or nanosecond) or pcapng magic in the first 4 bytes. */
export function startsWithCaptureMagic(input: Buffer): boolean {
  if (input.length < 4) return false;
  const le = input.readUInt32LE(0);
  const be = input.readUInt32BE(0);
  return le === 0xa1b2c3d4 || be === 0xa1b2c3d4 || le === 0xa1b23c4d || be === 0xa1b23c4d || le === 0x0a0d0d0a;
}

/** A message of the intact capture, keyed as the damaged decode can name it: original frame and index in it. */
export function truthKey(t: TruthMessage): string {
  return `${t.frame}/${t.index_in_frame}`;
}

/**
 * Every message of the intact capture that `keep` accepts is decoded from the damaged one,
 * in its original frame, with the same fields. Messages of one original frame are matched in
 * order (the damage may remove some of a frame's messages, which shifts their indices).
 */
export function expectMessagesKept(outcome: Outcome, capture: CorpusCapture, keep: (t: TruthMessage) => boolean): void {
  const decodedByFrame = new Map<number, MessageFields[]>();
  for (const m of outcome.messages) {
    if (m.originalFrame === null) continue;
    let list = decodedByFrame.get(m.originalFrame);
    if (list === undefined) decodedByFrame.set(m.originalFrame, (list = []));
    list.push(m.fields);
  }
  const missing: string[] = [];
  for (const t of capture.truth) {
    if (!keep(t)) continue;
    const expected = truthFields(t);
    const candidates = decodedByFrame.get(t.frame) ?? [];
    const found = candidates.findIndex((fields) => sameFields(fields, expected));
    if (found < 0) missing.push(`msg ${t.msg} (frame ${t.frame}, ${t.cseq}, ${t.call_id})`);
    else candidates.splice(found, 1);
  }
  expect(missing, `${capture.label}: messages lost`).toEqual([]);
}

function sameFields(a: MessageFields, b: MessageFields): boolean {
  const keys = Object.keys(b) as (keyof MessageFields)[];
  return keys.every((k) => a[k] === b[k]) && Object.keys(a).length === keys.length;
}

// ------------------------------------------------------------------ reassembly state

/**
 * The reassembly state the decoders hold, read after every packet. The decoders do not expose
 * it (nothing but these tests needs it), so it is read through their private fields; a renamed
 * field fails the test loudly (expectNumber) rather than passing unchecked.
 */
export interface HeldState {
  fragmentBytes: number;
  pendingDatagrams: number;
  flows: number;
  /** Per TCP direction: bytes and segments held out of order, bytes of an incomplete message. */
  tcp: { heldBytes: number; heldSegments: number; pendingBytes: number }[];
}

interface NetworkInternals {
  reassembler: { bytesHeld: number; pendingCount: number };
}

interface TransportInternals {
  flows: Map<string, { heldBytes?: number; held?: unknown[]; content?: { pending: { length: number } } }>;
}

function expectNumber(value: unknown, what: string): number {
  expect(typeof value, `${what} (a decoder field these tests read)`).toBe('number');
  return value as number;
}

export function heldState(network: NetworkDecoder, transport: TransportDecoder): HeldState {
  const reassembler = (network as unknown as NetworkInternals).reassembler;
  const flows = (transport as unknown as TransportInternals).flows;
  const tcp: HeldState['tcp'] = [];
  for (const flow of flows.values()) {
    if (flow.content === undefined) continue;
    tcp.push({
      heldBytes: expectNumber(flow.heldBytes, 'TcpHalf.heldBytes'),
      heldSegments: flow.held!.length,
      pendingBytes: expectNumber(flow.content.pending.length, 'StreamDecoder.pending.length'),
    });
  }
  return {
    fragmentBytes: expectNumber(reassembler.bytesHeld, 'FragmentReassembler.bytesHeld'),
    pendingDatagrams: expectNumber(reassembler.pendingCount, 'FragmentReassembler.pendingCount'),
    flows: flows.size,
    tcp,
  };
}

/**
 * The stages decodeCapture chains (capture -> net -> transport), run with the given limits,
 * calling `probe` after every packet. Returns the messages' frames.
 */
export function decodeProbed(
  bytes: Buffer,
  networkOptions: NetworkDecoderOptions,
  transportOptions: TransportDecoderOptions,
  probe: (state: HeldState) => void,
): { frames: number[]; warnings: string[] } {
  const frames: number[] = [];
  const warnings: string[] = [];
  const warn = (w: DecodeWarning) => warnings.push(w.message);
  const transport = new TransportDecoder((p) => frames.push(p.frame), warn, transportOptions);
  const network = new NetworkDecoder(warn, networkOptions);
  let current: RawPacket;
  const parser = new CaptureParser({
    packet(p) {
      current = p;
      network.decode(p, (ip) => transport.handle(ip, current));
      probe(heldState(network, transport));
    },
    warning: warn,
  });
  parser.push(bytes);
  parser.end();
  network.finish();
  transport.finish();
  return { frames, warnings };
}
