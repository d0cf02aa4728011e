// IPv4 (RFC 791 §3.2) and IPv6 (RFC 8200 §4.5) fragment reassembly with bounded memory.
//
// Overlaps: the bytes that arrived first win, and a fragment that brings no new byte (a
// duplicate) is ignored altogether. A host would drop such a datagram (RFC 5722 for IPv6, Linux
// for both); an analyzer keeps what it can, since the capture may hold retransmitted fragments.
// Inconsistent fragments (a second, different end; data past the end; a datagram over 65535
// bytes) drop the whole datagram, as Linux's ip_frag_queue and RFC 8200 §4.5 do.
import type { DecodeWarning, IpVersion } from '../model.js';
import { formatIpv6, Ipv4TextCache } from './addresses.js';
import { IP_MAX_LENGTH } from './constants.js';

/**
 * Bookkeeping charged against the memory bound besides the fragment bytes themselves, so a flood
 * of tiny fragments is bounded too (objects, arrays and Buffer headers cost about this much).
 */
const FRAGMENT_OVERHEAD_BYTES = 128;
const DATAGRAM_OVERHEAD_BYTES = 256;

/** One fragment as the decoder hands it over; the decoder reuses a single instance (no allocation per packet). */
export interface FragmentInput {
  version: IpVersion;
  /** Identifies the datagram: IPv4 (src, dst, protocol, id), IPv6 (src, dst, id). */
  key: string;
  /** Source then destination address (4 or 16 bytes each) at `addressOffset`. */
  addressBuf: Buffer;
  addressOffset: number;
  /** IPv4: the header's protocol; IPv6: the Fragment header's Next Header. */
  protocol: number;
  id: number;
  /** Where this fragment's data goes in the reassembled payload, in bytes. */
  offset: number;
  /** More Fragments flag. */
  more: boolean;
  data: Buffer;
  start: number;
  end: number;
  /** Bytes the reassembled packet has before its payload (IPv4 header; IPv6 header and unfragmentable extension headers). */
  headerLength: number;
  /** Frames this fragment came from (one, unless it was itself reassembled from an outer datagram). */
  frames: number[];
  frame: number;
  fileOffset: number;
  /** Capture time of the fragment, in seconds. */
  time: number;
}

/** A complete datagram put back together from its fragments. */
export interface ReassembledDatagram {
  version: IpVersion;
  /** Source then destination address bytes. */
  addresses: Buffer;
  protocol: number;
  payload: Buffer;
  /** Frames of the fragments in order of their offset, as tshark lists them. */
  frames: number[];
}

interface HeldFragment {
  offset: number;
  data: Buffer;
  frames: number[];
}

interface PendingDatagram {
  key: string;
  version: IpVersion;
  addresses: Buffer;
  /** -1 until the IPv6 fragment at offset 0 says which protocol follows. */
  protocol: number;
  id: number;
  firstFrame: number;
  firstFileOffset: number;
  firstTime: number;
  /** Payload length, known once the last fragment (More Fragments clear) arrived; -1 before. */
  totalLength: number;
  /** Furthest byte any fragment reached. */
  maxEnd: number;
  /** Byte ranges received so far, sorted and merged, as a flat list [start0, end0, start1, end1, ...]. */
  covered: number[];
  /** Fragments that brought new bytes, in arrival order (earlier ones win on overlaps). */
  fragments: HeldFragment[];
  /** Bytes charged against the memory bound. */
  charged: number;
}

export class FragmentReassembler {
  private readonly pending = new Map<string, PendingDatagram>();
  private heldBytes = 0;
  private readonly ipv4Text = new Ipv4TextCache();
  /** Incomplete datagrams given up: timed out, evicted for memory, inconsistent, or never completed. */
  abandoned = 0;

  constructor(
    private readonly onWarning: (w: DecodeWarning) => void,
    private readonly maxBytes: number,
    private readonly timeoutSec: number,
  ) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Bytes currently charged against `maxBytes`. */
  get bytesHeld(): number {
    return this.heldBytes;
  }

  /** Adds one fragment; returns the datagram when this fragment completes it, else null. */
  add(input: FragmentInput): ReassembledDatagram | null {
    const length = input.end - input.start;
    const end = input.offset + length;
    let datagram = this.pending.get(input.key);

    if (input.headerLength + end > IP_MAX_LENGTH) {
      this.warnFragment(input, `reaches byte ${input.headerLength + end}, beyond the ${IP_MAX_LENGTH}-byte limit of an IP datagram: datagram dropped`);
      if (datagram) this.drop(datagram);
      return null;
    }
    // RFC 8200 §4.5: a fragment with M set whose length is not a multiple of 8 must be discarded.
    if (input.more && length % 8 !== 0) {
      this.warnFragment(input, `is ${length} bytes long, not a multiple of 8, yet more fragments follow: fragment ignored`);
      return null;
    }
    if (input.more && length === 0) return null;

    if (!datagram) {
      datagram = this.open(input);
      this.pending.set(input.key, datagram);
      this.heldBytes += DATAGRAM_OVERHEAD_BYTES;
      datagram.charged = DATAGRAM_OVERHEAD_BYTES;
    }

    const inconsistency = this.inconsistency(datagram, input.more, end);
    if (inconsistency !== null) {
      this.warnFragment(input, `${inconsistency}: datagram dropped`);
      this.drop(datagram);
      return null;
    }
    if (!input.more) datagram.totalLength = end;
    if (end > datagram.maxEnd) datagram.maxEnd = end;
    if (input.offset === 0 && datagram.protocol < 0) datagram.protocol = input.protocol;

    const newBytes = coverRange(datagram.covered, input.offset, end);
    if (newBytes > 0) {
      const data = Buffer.from(input.data.subarray(input.start, input.end));
      datagram.fragments.push({ offset: input.offset, data, frames: input.frames });
      const charge = length + FRAGMENT_OVERHEAD_BYTES;
      datagram.charged += charge;
      this.heldBytes += charge;
    }

    if (isComplete(datagram)) {
      this.forget(datagram);
      return assemble(datagram);
    }
    this.enforceMemoryBound();
    return null;
  }

  /** Gives up datagrams whose first fragment is older than the timeout at capture time `now` (seconds). */
  expire(now: number): void {
    for (const datagram of this.pending.values()) {
      if (now - datagram.firstTime <= this.timeoutSec) break;
      this.abandon(datagram, `not completed within ${this.timeoutSec} s`);
    }
  }

  /** At the end of the capture: reports every datagram still incomplete. */
  finish(): void {
    for (const datagram of this.pending.values()) this.abandon(datagram, 'never completed');
  }

  private open(input: FragmentInput): PendingDatagram {
    const addressLength = input.version === 4 ? 8 : 32;
    return {
      key: input.key,
      version: input.version,
      addresses: Buffer.from(input.addressBuf.subarray(input.addressOffset, input.addressOffset + addressLength)),
      protocol: input.version === 4 ? input.protocol : -1,
      id: input.id,
      firstFrame: input.frame,
      firstFileOffset: input.fileOffset,
      firstTime: input.time,
      totalLength: -1,
      maxEnd: 0,
      covered: [],
      fragments: [],
      charged: 0,
    };
  }

  /** Why a fragment ending at `end` contradicts what the datagram already holds, or null. */
  private inconsistency(datagram: PendingDatagram, more: boolean, end: number): string | null {
    if (!more) {
      if (datagram.totalLength >= 0 && datagram.totalLength !== end) {
        return `says the datagram ends at ${end} bytes, an earlier last fragment said ${datagram.totalLength}`;
      }
      if (datagram.maxEnd > end) return `says the datagram ends at ${end} bytes, but data up to ${datagram.maxEnd} was received`;
    } else if (datagram.totalLength >= 0 && end > datagram.totalLength) {
      return `reaches byte ${end}, past the datagram's end at ${datagram.totalLength}`;
    }
    return null;
  }

  private enforceMemoryBound(): void {
    for (const datagram of this.pending.values()) {
      if (this.heldBytes <= this.maxBytes) return;
      this.abandon(datagram, `evicted: fragments held exceeded ${this.maxBytes} bytes`);
    }
  }

  private abandon(datagram: PendingDatagram, why: string): void {
    const have = totalCovered(datagram.covered);
    const of = datagram.totalLength >= 0 ? `${datagram.totalLength}` : 'an unknown number of';
    this.onWarning({
      offset: datagram.firstFileOffset,
      packet: datagram.firstFrame,
      message: `${this.describe(datagram)}, first fragment in frame ${datagram.firstFrame}: ${why} (${have} of ${of} bytes received); dropped`,
    });
    this.drop(datagram);
  }

  private drop(datagram: PendingDatagram): void {
    this.forget(datagram);
    this.abandoned++;
  }

  private forget(datagram: PendingDatagram): void {
    this.pending.delete(datagram.key);
    this.heldBytes -= datagram.charged;
  }

  private warnFragment(input: FragmentInput, what: string): void {
    const addressLength = input.version === 4 ? 4 : 16;
    const src = this.formatAddress(input.version, input.addressBuf, input.addressOffset);
    const dst = this.formatAddress(input.version, input.addressBuf, input.addressOffset + addressLength);
    this.onWarning({
      offset: input.fileOffset,
      packet: input.frame,
      message: `IPv${input.version} fragment ${src} -> ${dst} (id 0x${input.id.toString(16)}) at offset ${input.offset} in frame ${input.frame} ${what}`,
    });
  }

  private describe(datagram: PendingDatagram): string {
    const addressLength = datagram.version === 4 ? 4 : 16;
    const src = this.formatAddress(datagram.version, datagram.addresses, 0);
    const dst = this.formatAddress(datagram.version, datagram.addresses, addressLength);
    return `Fragmented IPv${datagram.version} datagram ${src} -> ${dst} (id 0x${datagram.id.toString(16)})`;
  }

  private formatAddress(version: IpVersion, buf: Buffer, offset: number): string {
    return version === 4 ? this.ipv4Text.format(buf, offset) : formatIpv6(buf, offset);
  }
}

/**
 * Adds [start, end) to `covered` (sorted, merged, flat [start, end, ...] pairs) and returns how
 * many of its bytes were not covered before.
 */
export function coverRange(covered: number[], start: number, end: number): number {
  if (end <= start) return 0;
  // First range that ends at or after `start` (touching ranges merge).
  let first = 0;
  while (first < covered.length && covered[first + 1]! < start) first += 2;
  let last = first;
  let mergedStart = start;
  let mergedEnd = end;
  let alreadyCovered = 0;
  while (last < covered.length && covered[last]! <= end) {
    const rangeStart = covered[last]!;
    const rangeEnd = covered[last + 1]!;
    alreadyCovered += Math.max(0, Math.min(end, rangeEnd) - Math.max(start, rangeStart));
    if (rangeStart < mergedStart) mergedStart = rangeStart;
    if (rangeEnd > mergedEnd) mergedEnd = rangeEnd;
    last += 2;
  }
  covered.splice(first, last - first, mergedStart, mergedEnd);
  return end - start - alreadyCovered;
}

function totalCovered(covered: number[]): number {
  let sum = 0;
  for (let i = 0; i < covered.length; i += 2) sum += covered[i + 1]! - covered[i]!;
  return sum;
}

function isComplete(datagram: PendingDatagram): boolean {
  const covered = datagram.covered;
  return datagram.totalLength >= 0 && covered.length === 2 && covered[0] === 0 && covered[1] === datagram.totalLength;
}

function assemble(datagram: PendingDatagram): ReassembledDatagram {
  const payload = Buffer.alloc(datagram.totalLength);
  // Later fragments first, so that on overlaps the earliest bytes are the ones left standing.
  for (let i = datagram.fragments.length - 1; i >= 0; i--) {
    const fragment = datagram.fragments[i]!;
    fragment.data.copy(payload, fragment.offset);
  }
  const byOffset = datagram.fragments.slice().sort((a, b) => a.offset - b.offset);
  // A fragment carried by an outer reassembled datagram lists that datagram's frames; keep each once.
  const frames = new Set<number>();
  for (const fragment of byOffset) {
    for (const frame of fragment.frames) frames.add(frame);
  }
  return { version: datagram.version, addresses: datagram.addresses, protocol: datagram.protocol, payload, frames: [...frames] };
}
