// What one direction of a TCP connection carries, decoded from its bytes in sequence order:
// SIP framed by Content-Length (RFC 3261 §18.3), SIP over WebSocket (RFC 7118), HEP3 packets,
// or TLS (recognised, not decoded). The kind is found from the first bytes, on any port.
//
// A PDU (SIP message, WebSocket frame, HEP packet, HTTP upgrade head) found whole inside one
// segment is handed on as a view of that segment. Only a PDU cut by a segment boundary is
// copied, into the `pending` accumulator, until the segments that complete it arrive.
import type { Timestamp } from '../model.js';
import { ByteAccumulator, framesIn, regionOf, type DetachedBytes } from './byte-accumulator.js';
import { describeFlow, describeFrames, type Endpoints, type TransportContext } from './context.js';
import { emitHepCapture, hep3Length, isHep3Prefix, NOT_HEP, parseHep3 } from './hep.js';
import {
  NEED_MORE, nextSipLineStart, sipMessageLengthFrom, skipLineBreaks,
  START_LINE_SIP, START_LINE_UNDECIDED, startLineStatus,
} from './sip-framing.js';
import {
  hasWebSocketUpgrade, httpUpgradeStartStatus, nextWsSipFrame, readWsFrameHeader, unmask,
  WS_BINARY, WS_CONTINUATION, WS_FIRST_CONTROL, WS_TEXT, wsFrameStartsSip, type WsFrameHeader,
} from './websocket.js';

/** Not known yet: the first bytes decide (and bytes that are none of the others are skipped). */
const MODE_DETECT = 0;
const MODE_SIP = 1;
/** Reading the HTTP head of a WebSocket upgrade; WebSocket frames follow it. */
const MODE_HTTP = 2;
const MODE_WS = 3;
const MODE_HEP = 4;
/** Encrypted: nothing to decode, no resynchronisation through it. */
const MODE_TLS = 5;

const DETECT_UNDECIDED = -1;
const DETECT_NONE = -2;

/** An HTTP upgrade head longer than this is not one we follow. */
const MAX_HTTP_HEAD = 16 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

const MODE_NAMES = ['', 'SIP', 'HTTP', 'WebSocket', 'HEP', 'TLS'];

/** A reusable buffer for unmasking single-frame WebSocket messages (handed on as a view). */
let unmaskScratch = Buffer.alloc(4096);

export class StreamDecoder {
  private mode = MODE_DETECT;
  /** A PDU cut by a segment boundary (or, while detecting, bytes too few to decide). */
  private readonly pending = new ByteAccumulator();
  /** Length of the PDU in `pending` once known, else -1. */
  private need = -1;
  /** SIP: bytes at the start of `pending` already searched for the blank line. */
  private searched = 0;
  /** Bytes that are not SIP (or not frames) skipped since the last PDU, and the frame where that began. */
  private skipped = 0;
  private skippedFrame = 0;
  /** A fragmented WebSocket message being put together, and its frames. */
  private wsMessage: ByteAccumulator | null = null;
  private wsFrames: number[] = [];
  /** WebSocket after a gap: frame boundaries are lost, so only a frame that visibly starts a SIP message is trusted. */
  private wsAfterGap = false;
  private wsCompressionReported = false;
  private readonly wsHeader: WsFrameHeader = { fin: false, rsv: 0, opcode: 0, masked: false, maskOffset: 0, payloadOffset: 0, payloadLength: 0 };

  constructor(
    private readonly ctx: TransportContext,
    private readonly endpoints: Endpoints,
    /** Called when the stream turns out to be TLS. */
    private readonly onTls: (frame: number) => void,
  ) {}

  /** The stream has shown SIP (plain, in WebSocket frames or in HEP): its gaps and leftovers are worth a warning. */
  get carriesSip(): boolean {
    return this.mode === MODE_SIP || this.mode === MODE_WS || this.mode === MODE_HEP;
  }

  /** In-order bytes of the stream; `data` is valid only during the call. */
  bytes(data: Buffer, frame: number, ts: Timestamp): void {
    if (this.mode === MODE_TLS) return;
    let off = 0;
    const end = data.length;
    if (this.pending.length > 0) {
      if (this.need < 0) {
        // The PDU's length is not known yet: look again with these bytes added.
        this.pending.append(data, 0, end, frame, ts);
        const detached = this.pending.detach();
        this.scan(detached.bytes, 0, detached.bytes.length, detached, frame, ts);
        return;
      }
      const take = Math.min(this.need - this.pending.length, end);
      this.pending.append(data, 0, take, frame, ts);
      if (this.pending.length < this.need) return;
      off = take;
      const frames = this.pending.frames;
      this.deliver(this.pending.buf, 0, this.need, frames, frame, ts);
      this.pending.clear();
      this.need = -1;
    }
    this.scan(data, off, end, null, frame, ts);
  }

  /** Bytes were lost before the next call to bytes(): drop what was being assembled and resynchronise. */
  gap(frame: number): void {
    if (this.pending.length > 0 && this.carriesSip) {
      this.ctx.warn(
        `${this.flow()}: incomplete ${MODE_NAMES[this.mode]} message (${this.pending.length} bytes, ${describeFrames(this.pending.frames)}) dropped at the gap`,
        frame,
      );
    }
    this.resetPending();
    this.dropWsMessage();
    if (this.mode === MODE_HTTP) this.mode = MODE_DETECT;
    this.wsAfterGap = this.mode === MODE_WS;
  }

  /**
   * The stream ended (FIN, RST, end of capture). A SIP message whose headers are complete but
   * whose body is cut short is emitted as it is (the SIP scanner marks it malformed) so the user
   * sees it; other leftovers are reported. The decoder is then ready for a new stream.
   */
  end(frame: number | null): void {
    const pending = this.pending;
    if (pending.length > 0 && this.carriesSip) {
      const frames = pending.frames;
      const last = frames[frames.length - 1];
      if (this.mode === MODE_SIP && this.need > 0) {
        this.ctx.warn(
          `${this.flow()}: SIP message cut short at the end of the stream: ${pending.length} of ${this.need} bytes (${describeFrames(frames)})`,
          last,
        );
        this.ctx.emitSip(pending.bytes(), last, frames, pending.stamps[pending.stamps.length - 1], this.endpoints, 'TCP');
      } else {
        this.ctx.warn(
          `${this.flow()}: incomplete ${MODE_NAMES[this.mode]} message left at the end of the stream (${pending.length} bytes, ${describeFrames(frames)})`,
          last,
        );
      }
    }
    if (this.wsMessage !== null) {
      this.ctx.warn(`${this.flow()}: fragmented WebSocket message without its final frame (${describeFrames(this.wsFrames)})`, frame);
    }
    this.flushSkipped();
    this.resetPending();
    this.dropWsMessage();
    this.mode = MODE_DETECT;
    this.wsAfterGap = false;
  }

  private flow(): string {
    return describeFlow('TCP', this.endpoints);
  }

  private resetPending(): void {
    this.pending.clear();
    this.need = -1;
    this.searched = 0;
  }

  /**
   * Decodes buf[off, end): PDUs found whole are delivered, a cut one is kept in `pending`.
   * `owned` is set when buf is the accumulator's detached bytes (their frames are in its regions).
   */
  private scan(buf: Buffer, off: number, end: number, owned: DetachedBytes | null, frame: number, ts: Timestamp): void {
    while (off < end) {
      const mode = this.mode;
      if (mode === MODE_TLS) return;
      if (mode === MODE_DETECT) {
        off = skipLineBreaks(buf, off, end);
        if (off >= end) return;
        const detected = this.detect(buf, off, end);
        if (detected === DETECT_UNDECIDED) {
          this.pend(buf, off, end, owned, frame, ts);
          return;
        }
        if (detected === DETECT_NONE) {
          // Not a stream we decode, at least here: look for a SIP line or a HEP3 packet further on
          // (the capture may have started in the middle of a message). Nothing is reported: most
          // such streams are not SIP.
          const sipLine = nextSipLineStart(buf, off, end);
          const hep = nextHep3(buf, off + 1, sipLine < 0 ? end : sipLine);
          const next = hep >= 0 ? hep : sipLine;
          if (next < 0) return;
          off = next;
          continue;
        }
        this.mode = detected;
        if (detected === MODE_TLS) {
          this.onTls(frame);
          return;
        }
        continue;
      }
      if (mode === MODE_SIP) {
        off = skipLineBreaks(buf, off, end);
        if (off >= end) return;
      } else if (mode === MODE_WS && this.wsAfterGap) {
        const status = wsFrameStartsSip(buf, off, end);
        if (status === START_LINE_UNDECIDED) {
          this.pend(buf, off, end, owned, frame, ts);
          return;
        }
        if (status !== START_LINE_SIP) {
          off = this.resync(buf, off, end, frame);
          continue;
        }
        this.wsAfterGap = false;
      }
      const length = this.pduLength(buf, off, end, owned !== null && off === 0);
      if (length > 0) {
        if (length > this.ctx.maxStreamBuffer) {
          this.ctx.warn(
            `${this.flow()}: ${MODE_NAMES[mode]} message of ${length} bytes is larger than the stream buffer (${this.ctx.maxStreamBuffer}); skipped`,
            frame,
          );
          off = this.resync(buf, off, end, frame);
          continue;
        }
        if (off + length <= end) {
          this.flushSkipped();
          if (owned === null) {
            this.deliver(buf, off, off + length, [frame], frame, ts);
          } else {
            const region = regionOf(owned.regions, off + length);
            this.deliver(buf, off, off + length, framesIn(owned.regions, off, off + length), owned.regions.frames[region], owned.regions.stamps[region]);
          }
          off += length;
          continue;
        }
        this.need = length;
        this.pend(buf, off, end, owned, frame, ts);
        return;
      }
      if (length === NEED_MORE) {
        if (end - off <= this.maxHead(mode)) {
          this.pend(buf, off, end, owned, frame, ts);
          return;
        }
        if (mode === MODE_HTTP) {
          // Not an upgrade we follow: back to looking for SIP, past this head.
          this.mode = MODE_DETECT;
          const next = nextSipLineStart(buf, off, end);
          if (next < 0) return;
          off = next;
          continue;
        }
        this.ctx.warn(`${this.flow()}: ${MODE_NAMES[mode]} header longer than ${this.maxHead(mode)} bytes; skipped`, frame);
      }
      off = this.resync(buf, off, end, frame);
    }
  }

  /** Longest incomplete head kept while waiting for the rest. */
  private maxHead(mode: number): number {
    return mode === MODE_HTTP ? MAX_HTTP_HEAD : this.ctx.maxStreamBuffer;
  }

  /** What the bytes at `off` begin: a mode, DETECT_UNDECIDED (too few bytes) or DETECT_NONE. */
  private detect(buf: Buffer, off: number, end: number): number {
    const b0 = buf[off];
    if (b0 >= 0x14 && b0 <= 0x17) {
      // A TLS record: ContentType (change_cipher_spec 20, alert 21, handshake 22, application_data 23),
      // then ProtocolVersion {3, 0..4} (RFC 8446 §5.1, RFC 5246 §6.2.1).
      if (end - off < 3) return DETECT_UNDECIDED;
      return buf[off + 1] === 3 && buf[off + 2] <= 4 ? MODE_TLS : DETECT_NONE;
    }
    if ((b0 & 0x7f) === WS_TEXT || (b0 & 0x7f) === WS_BINARY) {
      // A WebSocket frame whose payload starts with a SIP line: the capture missed the upgrade.
      const ws = wsFrameStartsSip(buf, off, end);
      return ws === START_LINE_SIP ? MODE_WS : ws === START_LINE_UNDECIDED ? DETECT_UNDECIDED : DETECT_NONE;
    }
    const sip = startLineStatus(buf, off, end);
    if (sip === START_LINE_SIP) return MODE_SIP;
    let undecided = sip === START_LINE_UNDECIDED;
    if (b0 === 0x48 /* H */ && isHep3Prefix(buf, off, end)) {
      if (end - off >= 4) return MODE_HEP;
      undecided = true;
    }
    if (b0 === 0x47 /* G */ || b0 === 0x48 /* H */) {
      const http = httpUpgradeStartStatus(buf, off, end);
      if (http === START_LINE_SIP) return MODE_HTTP;
      if (http === START_LINE_UNDECIDED) undecided = true;
    }
    return undecided ? DETECT_UNDECIDED : DETECT_NONE;
  }

  /** Length of the PDU at `off` in the current mode, NEED_MORE, or a negative "not one here". */
  private pduLength(buf: Buffer, off: number, end: number, resumesPending: boolean): number {
    switch (this.mode) {
      case MODE_SIP:
        return sipMessageLengthFrom(buf, off, end, resumesPending ? Math.max(off, this.searched - 3) : off);
      case MODE_WS:
        return readWsFrameHeader(buf, off, end, this.wsHeader);
      case MODE_HEP:
        return hep3Length(buf, off, end);
      default: {
        // MODE_HTTP: the head ends at the blank line.
        const blank = buf.indexOf(CRLFCRLF, off);
        return blank < 0 || blank + 4 > end ? NEED_MORE : blank + 4 - off;
      }
    }
  }

  /**
   * Skips bytes at `off` that do not begin a PDU, up to the next place one may begin (the end
   * when there is none); the count is reported once the stream is back in step.
   */
  private resync(buf: Buffer, off: number, end: number, frame: number): number {
    let next: number;
    if (this.mode === MODE_WS) next = nextWsSipFrame(buf, off + 1, end);
    else if (this.mode === MODE_HEP) next = nextHep3(buf, off + 1, end);
    else next = nextSipLineStart(buf, off, end);
    const stop = next < 0 ? end : next;
    if (this.skipped === 0) this.skippedFrame = frame;
    this.skipped += stop - off;
    return stop;
  }

  private flushSkipped(): void {
    if (this.skipped === 0) return;
    this.ctx.warn(
      `${this.flow()}: ${this.skipped} bytes that are not ${MODE_NAMES[this.mode]} skipped (from frame ${this.skippedFrame}) before the stream was back in step`,
      this.skippedFrame,
    );
    this.skipped = 0;
  }

  /** Keeps buf[off, end) in `pending` until more bytes arrive. */
  private pend(buf: Buffer, off: number, end: number, owned: DetachedBytes | null, frame: number, ts: Timestamp): void {
    if (owned !== null && off === 0) {
      this.pending.adopt(owned);
    } else if (owned !== null) {
      this.pending.appendRegions(buf, off, end, owned.regions);
    } else {
      this.pending.append(buf, off, end, frame, ts);
    }
    if (this.need > 0) this.pending.reserve(this.need);
    // Bytes at the start of a SIP message searched for the blank line without finding it
    // (a start line cut short holds no CR, so it holds no blank line either).
    this.searched = this.pending.length;
  }

  /** Hands on the complete PDU buf[start, end), which `frames` supplied and `frame` completed. */
  private deliver(buf: Buffer, start: number, end: number, frames: number[], frame: number, ts: Timestamp): void {
    switch (this.mode) {
      case MODE_SIP:
        this.ctx.emitSip(buf.subarray(start, end), frame, frames, ts, this.endpoints, 'TCP');
        return;
      case MODE_WS:
        this.deliverWsFrame(buf, start, end, frames, frame, ts);
        return;
      case MODE_HEP: {
        const hep = parseHep3(buf, start, end, this.ctx.maxStreamBuffer);
        if (typeof hep === 'string') this.ctx.warn(`${this.flow()}: ${hep}`, frame);
        else emitHepCapture(this.ctx, hep, frame, frames, ts);
        return;
      }
      default:
        // MODE_HTTP: WebSocket frames follow an upgrade (the GET, and its 101 answer); anything else is not ours.
        this.mode = hasWebSocketUpgrade(buf, start, end) ? MODE_WS : MODE_DETECT;
    }
  }

  /** One WebSocket frame: data frames make up messages, each message one SIP message (RFC 7118 §5). */
  private deliverWsFrame(buf: Buffer, start: number, end: number, frames: number[], frame: number, ts: Timestamp): void {
    const h = this.wsHeader;
    readWsFrameHeader(buf, start, end, h);
    if (h.opcode >= WS_FIRST_CONTROL) return; // close, ping, pong
    if (h.opcode !== WS_CONTINUATION) {
      if (this.wsMessage !== null) {
        this.ctx.warn(`${this.flow()}: fragmented WebSocket message without its final frame (${describeFrames(this.wsFrames)}) dropped`, frame);
        this.dropWsMessage();
      }
      if ((h.rsv & 0x4) !== 0) {
        // RSV1: permessage-deflate (RFC 7692), whose compression context spans messages.
        if (!this.wsCompressionReported) {
          this.wsCompressionReported = true;
          this.ctx.warn(`${this.flow()}: WebSocket messages compressed with permessage-deflate are not decoded`, frame);
        }
        return; // its continuation frames find no message to join, and are dropped too
      }
      if (h.fin) {
        this.emitWsMessage(this.unmaskedPayload(buf, end), frames, frame, ts);
        return;
      }
      this.wsMessage = new ByteAccumulator();
      this.wsFrames = [];
    } else if (this.wsMessage === null) {
      // The message's first frame was not seen (capture started mid-message) or the message was dropped.
      return;
    }
    const message = this.wsMessage;
    const at = message.length;
    message.append(buf, h.payloadOffset, end, frame, ts);
    if (h.masked) unmask(message.buf, at, message.length, buf, h.maskOffset, message.buf, at);
    for (const f of frames) if (this.wsFrames[this.wsFrames.length - 1] !== f) this.wsFrames.push(f);
    if (message.length > this.ctx.maxStreamBuffer) {
      this.ctx.warn(`${this.flow()}: fragmented WebSocket message larger than the stream buffer (${this.ctx.maxStreamBuffer}); skipped`, frame);
      this.dropWsMessage();
      return;
    }
    if (h.fin) {
      const messageFrames = this.wsFrames;
      this.wsMessage = null;
      this.wsFrames = [];
      this.emitWsMessage(message.bytes(), messageFrames, frame, ts);
    }
  }

  /** The payload of the frame just read into wsHeader, unmasked (into a scratch buffer) when masked. */
  private unmaskedPayload(buf: Buffer, end: number): Buffer {
    const h = this.wsHeader;
    if (!h.masked) return buf.subarray(h.payloadOffset, end);
    const n = end - h.payloadOffset;
    if (unmaskScratch.length < n) unmaskScratch = Buffer.alloc(Math.max(n, unmaskScratch.length * 2));
    unmask(buf, h.payloadOffset, end, buf, h.maskOffset, unmaskScratch, 0);
    return unmaskScratch.subarray(0, n);
  }

  private emitWsMessage(payload: Buffer, frames: number[], frame: number, ts: Timestamp): void {
    const start = skipLineBreaks(payload, 0, payload.length);
    if (startLineStatus(payload, start, payload.length) !== START_LINE_SIP) return; // a keep-alive, or not SIP
    this.ctx.emitSip(payload.subarray(start), frame, frames, ts, this.endpoints, 'WS');
  }

  private dropWsMessage(): void {
    this.wsMessage = null;
    this.wsFrames = [];
  }
}

/** Offset of the next "HEP3" (or a prefix of it cut by `end`) in [from, end), or -1. */
function nextHep3(buf: Buffer, from: number, end: number): number {
  for (let p = buf.indexOf(0x48, from); p >= 0 && p < end; p = buf.indexOf(0x48, p + 1)) {
    if (hep3Length(buf, p, end) !== NOT_HEP) return p;
  }
  return -1;
}
