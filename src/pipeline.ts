// The decoding pipeline: capture -> net -> transport -> sip, one packet at a time,
// synchronously inside each chunk of the capture (no per-packet promises).
import type { Readable } from 'node:stream';
import { readCapture, type CaptureHandlers } from './capture/index.js';
import { NetworkDecoder } from './net/index.js';
import { TransportDecoder } from './transport/index.js';
import { ScannedHead, scanSipInto } from './sip/index.js';
import type { CaptureInfo, DecodeWarning, IpVersion, RawPacket, SipMessage, SipPayload, SipTransport, Timestamp } from './model.js';
import { viewOf } from './buffer-calls.js';
import { EndpointTexts, formatTimestamp } from './timefmt.js';

export interface DecodeSinks {
  /** Called once per SIP message in capture order. `raw` is valid only during the call: copy it to keep it. */
  message(message: SipMessage, raw: Buffer): void;
  /** Every packet, for consumers that index frames (pcap export). `data` is valid only during the call. */
  packet?(packet: RawPacket): void;
  warning?(warning: DecodeWarning): void;
  /** Periodic progress: capture bytes read so far. */
  progress?(bytesRead: number, messages: number): void;
  /** A promise to wait for before reading more of the capture (a slow consumer), or null to read on. */
  beforeRead?(): Promise<void> | null;
}

export interface DecodeResult {
  info: CaptureInfo;
  warnings: DecodeWarning[];
  messages: number;
  /** Timestamp of the latest packet in the capture (timeouts are judged against it). */
  lastTime: Timestamp | null;
  firstTime: Timestamp | null;
}

/** Placeholders of DecodedMessage, replaced before the message is handed on. */
const NO_FRAMES: number[] = [];
const NO_TIME: Timestamp = { sec: 0, nsec: 0, digits: 0 };

/**
 * A message: the scanned head's fields (ScannedHead), then where and when it was seen. All the
 * fields are declared by the two classes, so every message has one hidden class from the start.
 */
class DecodedMessage extends ScannedHead implements SipMessage {
  id = 0;
  frame = 0;
  frames = NO_FRAMES;
  indexInFrame = 0;
  ts = NO_TIME;
  time = '';
  ipVersion: IpVersion = 4;
  src = '';
  dst = '';
  transport: SipTransport = 'UDP';
  size = 0;
}

/** Keeps at most this many warnings in memory; the rest are counted. */
const MAX_KEPT_WARNINGS = 1000;

export async function decodeCapture(source: string | Readable, sinks: DecodeSinks): Promise<DecodeResult> {
  const warnings: DecodeWarning[] = [];
  let droppedWarnings = 0;
  const warn = (w: DecodeWarning) => {
    if (warnings.length < MAX_KEPT_WARNINGS) warnings.push(w);
    else droppedWarnings++;
    sinks.warning?.(w);
  };
  let count = 0;
  let firstTime: Timestamp | null = null;
  let lastTime: Timestamp | null = null;

  const endpoints = new EndpointTexts();
  const onPayload = (p: SipPayload) => {
    const message = scanSipInto(new DecodedMessage(), p.bytes, p.transport === 'UDP' || p.transport === 'SCTP');
    message.id = count++;
    message.frame = p.frame;
    message.frames = p.frames;
    message.indexInFrame = p.indexInFrame;
    message.ts = p.ts;
    message.time = formatTimestamp(p.ts);
    message.ipVersion = p.ipVersion;
    message.src = endpoints.text(p.srcIp, p.srcPort, p.ipVersion);
    message.dst = endpoints.text(p.dstIp, p.dstPort, p.ipVersion);
    message.transport = p.transport;
    message.size = p.bytes.length;
    sinks.message(message, p.bytes);
  };

  const transport = new TransportDecoder(onPayload, warn);
  const network = new NetworkDecoder(warn);
  const onPacket = sinks.packet;

  const onPacketRange = (pkt: RawPacket, buf: Buffer, start: number, end: number) => {
    if (firstTime === null) firstTime = pkt.ts;
    if (lastTime === null || pkt.ts.sec > lastTime.sec || (pkt.ts.sec === lastTime.sec && pkt.ts.nsec > lastTime.nsec)) lastTime = pkt.ts;
    // Only a consumer of packets gets a RawPacket of its own, with a view of the bytes.
    if (onPacket !== undefined) onPacket({ ...pkt, data: viewOf(buf, start, end) });
    network.decodeRange(pkt, buf, start, end, transport);
  };

  const handlers: CaptureHandlers = {
    packet: (pkt) => onPacketRange(pkt, pkt.data, 0, pkt.data.length),
    packetRange: onPacketRange,
    warning: warn,
    progress: sinks.progress ? (bytes: number) => sinks.progress!(bytes, count) : undefined,
    beforeRead: sinks.beforeRead,
  };

  const info = await readCapture(source, handlers);
  network.finish();
  transport.finish();
  if (droppedWarnings > 0) {
    warnings.push({ offset: null, packet: null, message: `${droppedWarnings} more warnings not listed` });
  }
  return { info, warnings, messages: count, firstTime, lastTime };
}
