// A first pass over a capture that finds where each call ends: its last message. With it, a
// second pass settles every call at its last message and lets go of its state, so that the
// analysis holds only the calls still running (the server analyses large captures this way).
import type { SipMessage, Timestamp } from '../model.js';
import { compareTimestamps } from '../timefmt.js';
import { detached } from './message-log.js';

/** Where each call of a capture starts and ends, and when the capture ends. */
export interface CallEnds {
  /** One bit per message id: set on the first message of a Call-ID. */
  readonly firstOfCall: Uint8Array;
  /** One bit per message id: set on the last message of a Call-ID. */
  readonly lastOfCall: Uint8Array;
  /** What finish() will judge timers against: the capture's last packet, or its latest message when later. */
  readonly end: Timestamp | null;
}

export function hasBit(bits: Uint8Array, id: number): boolean {
  return ((bits[id >>> 3] ?? 0) & (1 << (id & 7))) !== 0;
}

function setBit(bits: Uint8Array, id: number): void {
  bits[id >>> 3]! |= 1 << (id & 7);
}

export class CallEndScanner {
  /** First and last message id of each Call-ID. */
  private readonly calls = new Map<string, { first: number; last: number }>();
  private latest: Timestamp | null = null;
  private messages = 0;

  add(m: SipMessage): void {
    if (m.id >= this.messages) this.messages = m.id + 1;
    if (this.latest === null || compareTimestamps(m.ts, this.latest) > 0) this.latest = m.ts;
    if (m.callId === null) return;
    const known = this.calls.get(m.callId);
    if (known === undefined) this.calls.set(detached(m.callId), { first: m.id, last: m.id });
    else known.last = m.id;
  }

  /** `captureEnd`: the capture's last packet (DecodeResult.lastTime). */
  result(captureEnd: Timestamp | null): CallEnds {
    const firstOfCall = new Uint8Array((this.messages + 7) >>> 3);
    const lastOfCall = new Uint8Array((this.messages + 7) >>> 3);
    for (const { first, last } of this.calls.values()) {
      setBit(firstOfCall, first);
      setBit(lastOfCall, last);
    }
    const latest = this.latest;
    const end = latest === null || (captureEnd !== null && compareTimestamps(captureEnd, latest) > 0) ? captureEnd : latest;
    return { firstOfCall, lastOfCall, end };
  }
}
