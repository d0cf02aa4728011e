// Test helpers for the transport stage: decoding capture files through the real capture and
// network stages, building IP datagrams (UDP, TCP, SCTP) around real SIP bytes, and collecting
// what a TransportDecoder emits (copied: its views are valid only during emit).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureParser } from '../../src/capture/index.js';
import type { DecodeWarning, IpPacket, RawPacket, SipPayload, Timestamp } from '../../src/model.js';
import { NetworkDecoder } from '../../src/net/index.js';
import { TransportDecoder, type TransportDecoderOptions } from '../../src/transport/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const CORPUS = join(HERE, '../../../shared/corpus');
export const FIXTURES = join(HERE, '../fixtures/transport');

/** An emitted message with its bytes copied, and them as text for assertions. */
export interface Collected extends SipPayload {
  text: string;
}

export interface Decoded {
  messages: Collected[];
  warnings: DecodeWarning[];
}

/** Collects a TransportDecoder's output. */
export class Collector {
  readonly messages: Collected[] = [];
  readonly warnings: DecodeWarning[] = [];
  readonly decoder: TransportDecoder;

  constructor(options?: TransportDecoderOptions) {
    this.decoder = new TransportDecoder(
      (p) => {
        const bytes = Buffer.from(p.bytes);
        this.messages.push({ ...p, bytes, frames: [...p.frames], text: bytes.toString('latin1') });
      },
      (w) => this.warnings.push(w),
      options,
    );
  }
}

/** Every packet of a capture file, through the capture and network stages, into a TransportDecoder. */
export function decodeFile(path: string, options?: TransportDecoderOptions): Decoded {
  const collector = new Collector(options);
  const network = new NetworkDecoder((w) => collector.warnings.push(w));
  let current: RawPacket;
  const parser = new CaptureParser({
    packet(pkt) {
      current = pkt;
      network.decode(pkt, (ip) => collector.decoder.handle(ip, current));
    },
    warning: (w) => collector.warnings.push(w),
  });
  parser.push(readFileSync(path));
  parser.end();
  network.finish();
  collector.decoder.finish();
  return { messages: collector.messages, warnings: collector.warnings };
}

/** The IP datagrams of a capture file, copied, with the packet each came in (for replaying them in other orders). */
export function datagramsOf(path: string): { ip: IpPacket; pkt: RawPacket }[] {
  const out: { ip: IpPacket; pkt: RawPacket }[] = [];
  const network = new NetworkDecoder(() => {});
  let current: RawPacket;
  const parser = new CaptureParser({
    packet(pkt) {
      current = { ...pkt, data: Buffer.from(pkt.data) };
      network.decode(pkt, (ip) => out.push({ ip: { ...ip, payload: Buffer.from(ip.payload), frames: [...ip.frames] }, pkt: current }));
    },
    warning: () => {},
  });
  parser.push(readFileSync(path));
  parser.end();
  network.finish();
  return out;
}

/** One record of a corpus messages.json (the fields these tests compare). */
export interface GroundTruth {
  msg: number;
  frame: number;
  index_in_frame: number;
  time_epoch: string;
  src: string;
  dst: string;
  transport: string;
  method?: string;
  status?: number;
  call_id: string;
  cseq: string;
  content_length: number | null;
  reassembled_from_frames?: number[];
}

export function groundTruth(name: string): GroundTruth[] {
  return JSON.parse(readFileSync(join(CORPUS, name, 'messages.json'), 'utf8')).messages as GroundTruth[];
}

// ------------------------------------------------------------------ packet builders

export const TS: Timestamp = { sec: 1_795_532_736, nsec: 307_467_555, digits: 9 };

export function rawPacket(frame: number, ts: Timestamp = TS): RawPacket {
  return { frame, ts, linkType: 1, data: Buffer.alloc(0), origLength: 0, truncated: false, fileOffset: frame * 100, interfaceIndex: 0 };
}

export interface Addresses {
  src: string;
  dst: string;
  version?: 4 | 6;
}

export const CLIENT: Addresses = { src: '192.0.2.10', dst: '192.0.2.20' };
export const SERVER: Addresses = { src: '192.0.2.20', dst: '192.0.2.10' };

export function ipPacket(a: Addresses, protocol: number, payload: Buffer, frames: number[]): IpPacket {
  return { version: a.version ?? 4, src: a.src, dst: a.dst, protocol, payload, frames };
}

/** UDP header (RFC 768): ports, length, checksum 0 (not computed). */
export function udp(sport: number, dport: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([h, payload]);
}

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

/** TCP header (RFC 9293 §3.1) without options: ports, sequence and acknowledgment numbers, data offset 5, flags, window. */
export function tcp(sport: number, dport: number, seq: number, ack: number, flags: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h.writeUInt32BE(ack >>> 0, 8);
  h[12] = 5 << 4;
  h[13] = flags;
  h.writeUInt16BE(65535, 14);
  return Buffer.concat([h, payload]);
}

/**
 * A scripted TCP connection between CLIENT:5060 and SERVER:5061: each call sends one segment
 * in a direction, advancing that direction's sequence number unless told where to put it.
 */
export class TcpScript {
  readonly collector: Collector;
  private frame = 0;
  clientSeq: number;
  serverSeq: number;

  constructor(options?: TransportDecoderOptions, clientIsn = 1000, serverIsn = 5000) {
    this.collector = new Collector(options);
    this.clientSeq = clientIsn;
    this.serverSeq = serverIsn;
  }

  get decoder(): TransportDecoder {
    return this.collector.decoder;
  }

  /** The frame number the next segment gets. */
  get nextFrame(): number {
    return this.frame + 1;
  }

  /** SYN, SYN-ACK, ACK. */
  handshake(): void {
    this.raw('client', this.clientSeq, SYN, Buffer.alloc(0), 0);
    this.raw('server', this.serverSeq, SYN | ACK, Buffer.alloc(0), this.clientSeq + 1);
    this.clientSeq = (this.clientSeq + 1) >>> 0;
    this.serverSeq = (this.serverSeq + 1) >>> 0;
    this.raw('client', this.clientSeq, ACK, Buffer.alloc(0), this.serverSeq);
  }

  /** Sends data in order from one side, advancing its sequence number. Returns the frame. */
  send(from: 'client' | 'server', data: Buffer | string, flags = PSH | ACK): number {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    const seq = from === 'client' ? this.clientSeq : this.serverSeq;
    const frame = this.raw(from, seq, flags, bytes, from === 'client' ? this.serverSeq : this.clientSeq);
    if (from === 'client') this.clientSeq = (this.clientSeq + bytes.length) >>> 0;
    else this.serverSeq = (this.serverSeq + bytes.length) >>> 0;
    return frame;
  }

  /** A segment at an explicit sequence number (retransmissions, out of order). Returns the frame. */
  raw(from: 'client' | 'server', seq: number, flags: number, data: Buffer | string, ack?: number): number {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    const frame = ++this.frame;
    const [a, sport, dport] = from === 'client' ? [CLIENT, 5060, 5061] : [SERVER, 5061, 5060];
    const ackNumber = ack ?? (from === 'client' ? this.serverSeq : this.clientSeq);
    this.decoder.handle(ipPacket(a, 6, tcp(sport, dport, seq, ackNumber, flags, bytes), [frame]), rawPacket(frame, { ...TS, sec: TS.sec + frame }));
    return frame;
  }

  finish(): Decoded {
    this.decoder.finish();
    return { messages: this.collector.messages, warnings: this.collector.warnings };
  }
}

/** Real SIP messages of a corpus capture, as bytes, in capture order (from the decoder itself over the pcap). */
export function corpusMessages(name: string): Buffer[] {
  return decodeFile(join(CORPUS, name, `${name}.pcapng`)).messages.map((m) => m.bytes);
}
