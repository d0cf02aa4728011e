// What the per-flow decoders (TCP halves, SCTP associations, stream content) need from the
// TransportDecoder that owns them: where to send messages and warnings, and the limits.
import type { DecodeWarning, IpVersion, RawPacket, SipPayload, SipTransport, Timestamp } from '../model.js';
import { formatEndpoint } from '../timefmt.js';

/** The two ends of one direction of a flow. */
export interface Endpoints {
  ipVersion: IpVersion;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
}

export interface TransportContext {
  /** Bytes a flow direction may hold: a PDU being assembled, out-of-order segments. */
  readonly maxStreamBuffer: number;
  /** One complete SIP message; `bytes` may be a view valid only during the call. */
  emitSip(bytes: Buffer, frame: number, frames: number[], ts: Timestamp, endpoints: Endpoints, transport: SipTransport): void;
  /** A decoding problem; `frame` is the packet it concerns, or null. */
  warn(message: string, frame: number | null): void;
}

/** The TransportContext of a TransportDecoder: numbers messages within their frame and dates warnings. */
export class TransportOutput implements TransportContext {
  /** The packet being handled (for warnings' file offsets), null at the end of the capture. */
  packet: RawPacket | null = null;
  /** The frame of the last message emitted, and the index the next one in that frame gets. */
  private emittedFrame = -1;
  private nextIndexInFrame = 0;

  /** What emit receives, reused for every message (its frames and ts are the message's own). */
  private readonly payload: SipPayload = {
    frame: 0, ts: { sec: 0, nsec: 0, digits: 0 }, ipVersion: 4, srcIp: '', srcPort: 0, dstIp: '', dstPort: 0,
    transport: 'UDP', bytes: Buffer.alloc(0), frames: [], indexInFrame: 0,
  };

  constructor(
    readonly maxStreamBuffer: number,
    private readonly emit: (p: SipPayload) => void,
    private readonly onWarning: (w: DecodeWarning) => void,
  ) {}

  emitSip(bytes: Buffer, frame: number, frames: number[], ts: Timestamp, ep: Endpoints, transport: SipTransport): void {
    if (frame !== this.emittedFrame) {
      this.emittedFrame = frame;
      this.nextIndexInFrame = 0;
    }
    const p = this.payload;
    p.frame = frame;
    p.ts = ts;
    p.ipVersion = ep.ipVersion;
    p.srcIp = ep.srcIp;
    p.srcPort = ep.srcPort;
    p.dstIp = ep.dstIp;
    p.dstPort = ep.dstPort;
    p.transport = transport;
    p.bytes = bytes;
    p.frames = frames;
    p.indexInFrame = this.nextIndexInFrame++;
    this.emit(p);
  }

  warn(message: string, frame: number | null): void {
    const pkt = this.packet;
    this.onWarning({ offset: pkt !== null && pkt.frame === frame ? pkt.fileOffset : null, packet: frame, message });
  }
}

/** "TCP 10.0.0.1:5060 -> 10.0.0.2:5060", for warnings (made only when one is written). */
export function describeFlow(protocol: string, ep: Endpoints): string {
  return `${protocol} ${formatEndpoint(ep.srcIp, ep.srcPort, ep.ipVersion)} -> ${formatEndpoint(ep.dstIp, ep.dstPort, ep.ipVersion)}`;
}

/** "frame 12" or "frames 12-15" (the first and last of a list). */
export function describeFrames(frames: number[]): string {
  if (frames.length === 0) return 'no frame';
  if (frames.length === 1) return `frame ${frames[0]}`;
  return `frames ${frames[0]}-${frames[frames.length - 1]}`;
}
