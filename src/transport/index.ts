// The transport stage: IP datagrams in, SIP messages out, each framed as its transport frames it.
//
//   UDP   one datagram = one SIP message (RFC 3261 §18.1.1); HEP v1/v2/v3 packets are opened
//   TCP   per-direction reassembly by sequence number, then Content-Length framing (§18.3),
//         WebSocket frames (RFC 7118), HEP3 packets; TLS recognised and reported
//   SCTP  DATA / I-DATA user messages (RFC 4168)
//
// SIP is recognised by its first line, on any port. Per-flow state lives in one table with a
// bounded number of entries, the least recently used dropped first.
import type { DecodeWarning, IpPacket, IpVersion, RawPacket, SipPayload } from '../model.js';
import { uint16At, viewOf } from '../buffer-calls.js';
import { describeFlow, TransportOutput, type Endpoints } from './context.js';
import { emitHepCapture, isHep3, parseHep2, parseHep3 } from './hep.js';
import { SctpHalf } from './sctp.js';
import { skipLineBreaks, START_LINE_SIP, startLineStatus } from './sip-framing.js';
import { TcpHalf } from './tcp.js';

export { looksLikeSip, sipMessageLength } from './sip-framing.js';

export interface TransportDecoderOptions {
  /** Bytes one direction of a stream may hold (a message being assembled, out-of-order segments). Default 1 MiB. */
  maxStreamBuffer?: number;
  /**
   * Flow directions tracked at once (each direction of a TCP connection or SCTP association is
   * one). Default 100000; past it the least recently used is dropped, with a warning if it held SIP.
   */
  maxStreams?: number;
}

const DEFAULT_MAX_STREAM_BUFFER = 1024 * 1024;
const DEFAULT_MAX_STREAMS = 100_000;
const IP_PROTOCOL_TCP = 6;
const IP_PROTOCOL_UDP = 17;
const IP_PROTOCOL_SCTP = 132;
const UDP_HEADER_LENGTH = 8;
const TCP_MIN_HEADER_LENGTH = 20;
const SCTP_COMMON_HEADER_LENGTH = 12;
const EMPTY = Buffer.alloc(0);

type Flow = TcpHalf | SctpHalf;

interface RecentFlow {
  flow: Flow | null;
  protocol: number;
  ports: number;
  src: string;
  dst: string;
}

export class TransportDecoder {
  private readonly out: TransportOutput;
  private readonly maxStreams: number;
  /** Flow directions by "protocol source-ip source-port destination-ip destination-port", in (roughly) least recently used order. */
  private readonly flows = new Map<string, Flow>();
  /** The flows of the last few packets, with what identifies them (filled round-robin). */
  private readonly recent: RecentFlow[] = [0, 1, 2, 3].map(() => ({ flow: null, protocol: 0, ports: -1, src: '', dst: '' }));
  private nextRecent = 0;
  private readonly udpEndpoints: Endpoints = { ipVersion: 4, srcIp: '', srcPort: 0, dstIp: '', dstPort: 0 };

  /** `emit` gets each SIP message as an object that, like its bytes, is valid only during the call (its frames and ts may be kept). */
  constructor(emit: (p: SipPayload) => void, onWarning: (w: DecodeWarning) => void, options: TransportDecoderOptions = {}) {
    this.out = new TransportOutput(Math.max(1, options.maxStreamBuffer ?? DEFAULT_MAX_STREAM_BUFFER), emit, onWarning);
    this.maxStreams = Math.max(1, options.maxStreams ?? DEFAULT_MAX_STREAMS);
  }

  /** One IP datagram (already reassembled from fragments) seen in packet pkt. Emits each complete SIP message; p.bytes may be a view valid only during emit. */
  handle(ip: IpPacket, pkt: RawPacket): void {
    this.datagram(ip.version, ip.src, ip.dst, ip.protocol, ip.payload, 0, ip.payload.length, ip.frames, pkt);
  }

  /** handle for a datagram whose payload is buf[start, end) (NetworkDecoder.decodeRange hands them over so). */
  datagram(
    version: IpVersion, src: string, dst: string, protocol: number,
    buf: Buffer, start: number, end: number, frames: number[], pkt: RawPacket,
  ): void {
    this.out.packet = pkt;
    try {
      if (protocol === IP_PROTOCOL_UDP) this.udp(version, src, dst, buf, start, end, frames, pkt);
      else if (protocol === IP_PROTOCOL_TCP || protocol === IP_PROTOCOL_SCTP) {
        const ip: IpPacket = { version, src, dst, protocol, payload: viewOf(buf, start, end), frames };
        if (protocol === IP_PROTOCOL_TCP) this.tcp(ip, pkt);
        else this.sctp(ip, pkt);
      }
    } catch (err) {
      this.out.warn(`transport: could not decode this packet (${(err as Error).message})`, pkt.frame);
    }
  }

  /** End of capture: report gaps / incomplete messages left in streams (as warnings; an incomplete trailing SIP message whose headers are complete may be emitted with its truncated body so the user sees it: the SIP scanner marks it malformed 'truncated body'). */
  finish(): void {
    this.out.packet = null;
    try {
      for (const flow of this.flows.values()) flow.finish(null);
    } catch (err) {
      this.out.warn(`transport: could not finish the streams (${(err as Error).message})`, null);
    }
    this.flows.clear();
    for (const slot of this.recent) slot.flow = null;
  }

  /** A datagram (UDP header and payload in buf[start, end)) holds one SIP message, a HEP packet, or something else (RTP, STUN, keep-alives: skipped quietly). */
  private udp(version: IpVersion, src: string, dst: string, buf: Buffer, start: number, end: number, frames: number[], pkt: RawPacket): void {
    if (end - start < UDP_HEADER_LENGTH) return;
    const length = uint16At(buf, start + 4);
    // The UDP length, unless it is 0 (IPv6 jumbograms) or beyond what the IP payload holds.
    const udpEnd = length >= UDP_HEADER_LENGTH && length <= end - start ? start + length : end;
    const payloadStart = start + UDP_HEADER_LENGTH;
    const sipStart = skipLineBreaks(buf, payloadStart, udpEnd);
    if (sipStart >= udpEnd) return;
    if (startLineStatus(buf, sipStart, udpEnd) === START_LINE_SIP) {
      // emitSip copies the endpoints out: one object serves every datagram.
      const ep = this.udpEndpoints;
      ep.ipVersion = version;
      ep.srcIp = src;
      ep.srcPort = uint16At(buf, start);
      ep.dstIp = dst;
      ep.dstPort = uint16At(buf, start + 2);
      this.out.emitSip(viewOf(buf, sipStart, udpEnd), pkt.frame, frames, pkt.ts, ep, 'UDP');
      return;
    }
    if (isHep3(buf, payloadStart, udpEnd)) {
      const hep = parseHep3(buf, payloadStart, udpEnd, this.out.maxStreamBuffer);
      if (typeof hep === 'string') {
        const ep: Endpoints = { ipVersion: version, srcIp: src, srcPort: uint16At(buf, start), dstIp: dst, dstPort: uint16At(buf, start + 2) };
        this.out.warn(`${describeFlow('UDP', ep)}: ${hep}`, pkt.frame);
        return;
      }
      emitHepCapture(this.out, hep, pkt.frame, frames, pkt.ts);
      return;
    }
    const first = buf[payloadStart];
    if (first === 1 || first === 2) {
      const hep = parseHep2(buf, payloadStart, udpEnd, pkt.ts);
      if (hep !== null) emitHepCapture(this.out, hep, pkt.frame, frames, pkt.ts);
    }
  }

  private tcp(ip: IpPacket, pkt: RawPacket): void {
    const b = ip.payload;
    if (b.length < TCP_MIN_HEADER_LENGTH) return;
    const headerLength = (b[12] >> 4) * 4;
    if (headerLength < TCP_MIN_HEADER_LENGTH || headerLength > b.length) return;
    const srcPort = b.readUInt16BE(0);
    const dstPort = b.readUInt16BE(2);
    const half = this.flow(IP_PROTOCOL_TCP, ip, srcPort, dstPort) as TcpHalf;
    const payload = headerLength < b.length ? b.subarray(headerLength) : EMPTY;
    half.segment(b.readUInt32BE(4), b.readUInt32BE(8), b[13], payload, pkt.frame, pkt.ts);
  }

  private sctp(ip: IpPacket, pkt: RawPacket): void {
    const b = ip.payload;
    if (b.length < SCTP_COMMON_HEADER_LENGTH) return;
    const half = this.flow(IP_PROTOCOL_SCTP, ip, b.readUInt16BE(0), b.readUInt16BE(2)) as SctpHalf;
    half.packet(b, pkt.frame, pkt.ts);
  }

  /** The state of this direction of the flow, made on first sight (and linked to the other direction for TCP). */
  private flow(protocol: number, ip: IpPacket, srcPort: number, dstPort: number): Flow {
    const ports = srcPort * 0x10000 + dstPort;
    // Consecutive packets mostly belong to the last flow or to its other direction: no key is made for them.
    for (const cached of this.recent) {
      if (cached.flow !== null && cached.protocol === protocol && cached.ports === ports && cached.src === ip.src && cached.dst === ip.dst) {
        cached.flow.used = true;
        return cached.flow;
      }
    }
    const key = `${protocol} ${ip.src} ${srcPort} ${ip.dst} ${dstPort}`;
    let flow = this.flows.get(key);
    if (flow === undefined) {
      if (this.flows.size >= this.maxStreams) this.evictOne();
      const ep = endpointsOf(ip, srcPort, dstPort);
      if (protocol === IP_PROTOCOL_TCP) {
        const reverse = this.flows.get(`${protocol} ${ip.dst} ${dstPort} ${ip.src} ${srcPort}`) as TcpHalf | undefined;
        const half = new TcpHalf(this.out, ep, reverse?.connection ?? { tlsReported: false });
        if (reverse !== undefined) {
          half.peer = reverse;
          reverse.peer = half;
        }
        flow = half;
      } else {
        flow = new SctpHalf(this.out, ep);
      }
      this.flows.set(key, flow);
    }
    flow.used = true;
    const slot = this.recent[this.nextRecent];
    this.nextRecent = (this.nextRecent + 1) % this.recent.length;
    slot.flow = flow;
    slot.protocol = protocol;
    slot.ports = ports;
    slot.src = ip.src;
    slot.dst = ip.dst;
    return flow;
  }

  /**
   * Drops one flow to make room: the least recently used, approximately ("second chance"): flows
   * are visited oldest first; one used since the last visit is moved to the back, the first one
   * not used is dropped. Touching a flow is then just setting a flag.
   */
  private evictOne(): void {
    for (const [key, flow] of this.flows) {
      this.flows.delete(key);
      if (flow.used) {
        flow.used = false;
        this.flows.set(key, flow);
        continue;
      }
      for (const slot of this.recent) if (slot.flow === flow) slot.flow = null;
      if (flow instanceof TcpHalf && flow.peer !== null) flow.peer.peer = null;
      if (!flow.idle) {
        const protocol = flow instanceof TcpHalf ? 'TCP' : 'SCTP';
        this.out.warn(
          `${describeFlow(protocol, flow.endpoints)}: stream state dropped (more than ${this.maxStreams} streams at once); what follows is decoded as a new stream`,
          this.out.packet?.frame ?? null,
        );
      }
      flow.finish(this.out.packet?.frame ?? null);
      return;
    }
  }
}

function endpointsOf(ip: IpPacket, srcPort: number, dstPort: number): Endpoints {
  return { ipVersion: ip.version, srcIp: ip.src, srcPort, dstIp: ip.dst, dstPort };
}
