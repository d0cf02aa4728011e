// From a captured frame to the innermost complete IP datagrams it carries:
// link layer -> IPv4/IPv6 (+ extension headers) -> tunnels -> fragment reassembly.
//
// The hot path (Ethernet, IPv4, UDP) allocates only the frame list of each datagram it hands
// on: every step reads the buffer at offsets, state lives in fields rather than closures, and
// address text is made once per datagram (IPv4 text comes from a cache).
//
// Encapsulation levels (each VLAN tag, an MPLS label stack, each tunnel header) are counted
// against maxEncapsulationDepth, so a hostile nesting cannot recurse without bound.
import type { DecodeWarning, IpPacket, IpVersion, RawPacket } from '../model.js';
import { uint16At, viewOf } from '../buffer-calls.js';
import { formatIpv6, Ipv4TextCache } from './addresses.js';
import {
  AF_INET, AF_INET6_BSD, AF_INET6_DARWIN, AF_INET6_FREEBSD,
  ETHERNET_HEADER_LENGTH, ETHERTYPE_ERSPAN_II, ETHERTYPE_ERSPAN_III, ETHERTYPE_IPV4, ETHERTYPE_IPV6,
  ETHERTYPE_MPLS_MULTICAST, ETHERTYPE_MPLS_UNICAST, ETHERTYPE_QINQ, ETHERTYPE_QINQ_LEGACY,
  ETHERTYPE_TRANSPARENT_ETHERNET, ETHERTYPE_VLAN,
  IP_PROTOCOL_AH, IP_PROTOCOL_DESTINATION_OPTIONS, IP_PROTOCOL_FRAGMENT, IP_PROTOCOL_GRE,
  IP_PROTOCOL_HOP_BY_HOP, IP_PROTOCOL_IPV4, IP_PROTOCOL_IPV6, IP_PROTOCOL_ROUTING, IP_PROTOCOL_UDP,
  IPV4_MIN_HEADER_LENGTH, IPV6_HEADER_LENGTH,
  LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP,
  LINKTYPE_NULL, LINKTYPE_RAW, LINKTYPE_RAW_BSD_12, LINKTYPE_RAW_BSD_14,
  LOOPBACK_HEADER_LENGTH, SLL2_HEADER_LENGTH, SLL_HEADER_LENGTH, SLL_PROTOCOL_OFFSET,
  UDP_HEADER_LENGTH, VLAN_TAG_LENGTH, VXLAN_HEADER_LENGTH,
} from './constants.js';
import { FragmentReassembler, type FragmentInput, type ReassembledDatagram } from './fragments.js';
import {
  ERSPAN_FRAME_ETHERNET, ERSPAN_FRAME_IP, ERSPAN_II_HEADER_LENGTH, ERSPAN_II_VERSION, ERSPAN_III_VERSION,
  erspanIIIFrameType, erspanIIIHeaderLength, erspanVersion, GRE_SEQUENCE_PRESENT, greHeaderLength,
  isVxlan, mplsStackEnd, TRUNCATED, UNSUPPORTED,
} from './tunnels.js';

export interface NetworkDecoderOptions {
  /** Fragment bytes held at once, bookkeeping included; past it the oldest datagrams are dropped. Default 64 MiB. */
  maxFragmentBytes?: number;
  /** An incomplete datagram is dropped this long after its first fragment, judged on packet timestamps. Default 30. */
  fragmentTimeoutSec?: number;
  /** VLAN tags, MPLS stacks and tunnels one packet may nest. Default 8. */
  maxEncapsulationDepth?: number;
}

export interface NetworkStats {
  /** Packets of each link type this decoder does not read. */
  unknownLinkTypes: Map<number, number>;
  /** Frames carrying something other than IP (ARP, LLDP, ...), skipped without a warning. */
  nonIp: number;
  /** Incomplete fragmented datagrams given up: timed out, evicted for memory, inconsistent, or never completed. */
  fragmentsExpired: number;
}

/** What decodeRange hands each datagram to (the transport stage). */
export interface DatagramSink {
  /**
   * One complete innermost IP datagram seen in packet `pkt`: the payload after the IP header(s)
   * is buf[start, end), valid only during the call, as are pkt and its data.
   */
  datagram(
    version: IpVersion, src: string, dst: string, protocol: number,
    buf: Buffer, start: number, end: number, frames: number[], pkt: RawPacket,
  ): void;
}

const DEFAULT_MAX_FRAGMENT_BYTES = 64 * 1024 * 1024;
const DEFAULT_FRAGMENT_TIMEOUT_SEC = 30;
const DEFAULT_MAX_ENCAPSULATION_DEPTH = 8;

export class NetworkDecoder {
  private readonly counters: NetworkStats = { unknownLinkTypes: new Map(), nonIp: 0, fragmentsExpired: 0 };
  private readonly maxDepth: number;
  private readonly reassembler: FragmentReassembler;
  private readonly ipv4Text = new Ipv4TextCache();
  /** Reused for every fragment handed to the reassembler. */
  private readonly fragment: FragmentInput = {
    version: 4, key: '', addressBuf: Buffer.alloc(0), addressOffset: 0, protocol: 0, id: 0, offset: 0, more: false,
    data: Buffer.alloc(0), start: 0, end: 0, headerLength: 0, frames: [], frame: 0, fileOffset: 0, time: 0,
  };
  /** The packet being decoded and its consumer (fields, not closures: decodeRange allocates nothing per packet for them). */
  private packet!: RawPacket;
  private sink!: DatagramSink;
  /** Frames of the reassembled datagram being decoded; null while decoding the packet itself. */
  private frames: number[] | null = null;
  /** Packets skipped because the capture's snapshot length cut them; only the first one is warned about. */
  private cutBySnapLength = 0;

  constructor(
    private readonly onWarning: (w: DecodeWarning) => void,
    options: NetworkDecoderOptions = {},
  ) {
    this.maxDepth = options.maxEncapsulationDepth ?? DEFAULT_MAX_ENCAPSULATION_DEPTH;
    this.reassembler = new FragmentReassembler(
      onWarning,
      options.maxFragmentBytes ?? DEFAULT_MAX_FRAGMENT_BYTES,
      options.fragmentTimeoutSec ?? DEFAULT_FRAGMENT_TIMEOUT_SEC,
    );
  }

  get stats(): NetworkStats {
    this.counters.fragmentsExpired = this.reassembler.abandoned;
    return this.counters;
  }

  /**
   * decodeRange for one packet's own bytes, each datagram as an IpPacket (for tests and tools;
   * the pipeline uses decodeRange). ip.payload may be a view into pkt.data valid only during emit.
   */
  decode(pkt: RawPacket, emit: (ip: IpPacket) => void): void {
    this.decodeRange(pkt, pkt.data, 0, pkt.data.length, {
      datagram: (version, src, dst, protocol, buf, start, end, frames) => emit({ version, src, dst, protocol, payload: viewOf(buf, start, end), frames }),
    });
  }

  /**
   * Decodes link layer -> IP -> tunnels -> fragment reassembly; each complete innermost IP
   * datagram (0..n) goes to `sink` as a range of a buffer. The packet's bytes are
   * buf[start, end) (pkt.data is not read).
   */
  decodeRange(pkt: RawPacket, buf: Buffer, start: number, end: number, sink: DatagramSink): void {
    this.sink = sink;
    this.packet = pkt;
    this.frames = null;
    if (this.reassembler.pendingCount > 0) this.reassembler.expire(pkt.ts.sec + pkt.ts.nsec / 1e9);

    const length = end - start;
    switch (pkt.linkType) {
      case LINKTYPE_ETHERNET:
        this.decodeEthernet(buf, start, end, 0);
        return;
      case LINKTYPE_LINUX_SLL:
        if (length < SLL_HEADER_LENGTH) return this.cutShort('Linux cooked header', SLL_HEADER_LENGTH, length);
        this.decodeEthertype(uint16At(buf, start + SLL_PROTOCOL_OFFSET), buf, start + SLL_HEADER_LENGTH, end, 0);
        return;
      case LINKTYPE_LINUX_SLL2:
        if (length < SLL2_HEADER_LENGTH) return this.cutShort('Linux cooked v2 header', SLL2_HEADER_LENGTH, length);
        this.decodeEthertype(uint16At(buf, start), buf, start + SLL2_HEADER_LENGTH, end, 0);
        return;
      case LINKTYPE_NULL:
      case LINKTYPE_LOOP:
        this.decodeLoopback(buf, start, end);
        return;
      case LINKTYPE_RAW:
      case LINKTYPE_RAW_BSD_12:
      case LINKTYPE_RAW_BSD_14:
        this.decodeIpByVersion(buf, start, end, 0);
        return;
      case LINKTYPE_IPV4:
        this.decodeIpv4(buf, start, end, 0);
        return;
      case LINKTYPE_IPV6:
        this.decodeIpv6(buf, start, end, 0);
        return;
      default: {
        const unknown = this.counters.unknownLinkTypes;
        unknown.set(pkt.linkType, (unknown.get(pkt.linkType) ?? 0) + 1);
      }
    }
  }

  /** Reports (as warnings) fragments never completed, and unknown link types with their packet counts. */
  finish(): void {
    this.reassembler.finish();
    if (this.cutBySnapLength > 1) {
      this.onWarning({
        offset: null,
        packet: null,
        message: `${this.cutBySnapLength} packets cut short by the capture's snapshot length were skipped in all`,
      });
    }
    for (const [linkType, count] of this.counters.unknownLinkTypes) {
      this.onWarning({
        offset: null,
        packet: null,
        message: `Link type ${linkType} is not supported: ${count} packet${count === 1 ? '' : 's'} skipped`,
      });
    }
  }

  // ------------------------------------------------------------------ link layers

  /**
   * BSD loopback: a 4-byte address family. NULL (0) stores it in the capturing host's byte order,
   * LOOP (108) in network order; both orders are accepted for either, as their values cannot collide.
   */
  private decodeLoopback(buf: Buffer, start: number, end: number): void {
    if (end - start < LOOPBACK_HEADER_LENGTH) return this.cutShort('loopback header', LOOPBACK_HEADER_LENGTH, end - start);
    const version = loopbackFamilyVersion(buf.readUInt32LE(start)) || loopbackFamilyVersion(buf.readUInt32BE(start));
    if (version === 4) this.decodeIpv4(buf, start + LOOPBACK_HEADER_LENGTH, end, 0);
    else if (version === 6) this.decodeIpv6(buf, start + LOOPBACK_HEADER_LENGTH, end, 0);
    else this.counters.nonIp++;
  }

  private decodeEthernet(buf: Buffer, offset: number, end: number, depth: number): void {
    if (end - offset < ETHERNET_HEADER_LENGTH) return this.cutShort('Ethernet header', ETHERNET_HEADER_LENGTH, end - offset);
    this.decodeEthertype(uint16At(buf, offset + 12), buf, offset + ETHERNET_HEADER_LENGTH, end, depth);
  }

  /** What follows an EtherType: VLAN tags (802.1Q, 802.1ad, 0x9100; stacked), then IP or MPLS; anything else is not IP. */
  private decodeEthertype(type: number, buf: Buffer, offset: number, end: number, depth: number): void {
    let etherType = type;
    let position = offset;
    let level = depth;
    while (etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_LEGACY) {
      if (level >= this.maxDepth) return this.tooDeep();
      if (end - position < VLAN_TAG_LENGTH) return this.cutShort('VLAN tag', VLAN_TAG_LENGTH, end - position);
      etherType = uint16At(buf, position + 2);
      position += VLAN_TAG_LENGTH;
      level++;
    }
    switch (etherType) {
      case ETHERTYPE_IPV4:
        this.decodeIpv4(buf, position, end, level);
        return;
      case ETHERTYPE_IPV6:
        this.decodeIpv6(buf, position, end, level);
        return;
      case ETHERTYPE_MPLS_UNICAST:
      case ETHERTYPE_MPLS_MULTICAST:
        this.decodeMpls(buf, position, end, level);
        return;
      default:
        this.counters.nonIp++;
    }
  }

  /**
   * MPLS carries no payload type: pop the whole label stack, then guess from the first nibble,
   * as Wireshark does (4 IPv4, 6 IPv6; anything else, such as a pseudowire, is not followed).
   */
  private decodeMpls(buf: Buffer, offset: number, end: number, depth: number): void {
    if (depth >= this.maxDepth) return this.tooDeep();
    const payload = mplsStackEnd(buf, offset, end);
    if (payload === TRUNCATED) return this.cutShort('MPLS label stack', 4, end - offset);
    this.decodeIpByVersion(buf, payload, end, depth + 1);
  }

  /** IP without a link header saying which version: the first nibble tells. */
  private decodeIpByVersion(buf: Buffer, offset: number, end: number, depth: number): void {
    if (offset >= end) return this.cutShort('IP header', 1, 0);
    const version = buf[offset]! >> 4;
    if (version === 4) this.decodeIpv4(buf, offset, end, depth);
    else if (version === 6) this.decodeIpv6(buf, offset, end, depth);
    else this.counters.nonIp++;
  }

  // ------------------------------------------------------------------ IPv4 and IPv6

  /** RFC 791 §3.1. Total Length trims link-layer padding; 0 means a segmentation-offload capture (use what is there). */
  private decodeIpv4(buf: Buffer, offset: number, end: number, depth: number): void {
    const available = end - offset;
    if (available < IPV4_MIN_HEADER_LENGTH) return this.cutShort('IPv4 header', IPV4_MIN_HEADER_LENGTH, available);
    const versionAndLength = buf[offset]!;
    if (versionAndLength >> 4 !== 4) return this.malformed(`IPv4 header says version ${versionAndLength >> 4}`);
    const headerLength = (versionAndLength & 0x0f) * 4;
    if (headerLength < IPV4_MIN_HEADER_LENGTH) return this.malformed(`IPv4 header length ${headerLength} is below 20`);
    if (available < headerLength) return this.cutShort('IPv4 header with options', headerLength, available);
    let totalLength = uint16At(buf, offset + 2);
    if (totalLength === 0) totalLength = available;
    else if (totalLength < headerLength) return this.malformed(`IPv4 total length ${totalLength} is below its header length ${headerLength}`);
    else if (totalLength > available) return this.cutShort('IPv4 datagram', totalLength, available);

    const protocol = buf[offset + 9]!;
    const fragmentField = uint16At(buf, offset + 6);
    const fragmentOffset = (fragmentField & 0x1fff) * 8;
    const moreFragments = (fragmentField & 0x2000) !== 0;
    if (moreFragments || fragmentOffset !== 0) {
      const id = uint16At(buf, offset + 4);
      const fragment = this.fragment;
      fragment.version = 4;
      // (src, dst, protocol, id), RFC 791 §3.2; the bytes as latin1 make a compact, exact key.
      fragment.key = buf.toString('latin1', offset + 12, offset + 20) + String.fromCharCode(protocol, id >> 8, id & 0xff);
      fragment.addressBuf = buf;
      fragment.addressOffset = offset + 12;
      fragment.protocol = protocol;
      fragment.id = id;
      fragment.offset = fragmentOffset;
      fragment.more = moreFragments;
      fragment.headerLength = headerLength;
      this.reassemble(buf, offset + headerLength, offset + totalLength, depth);
      return;
    }
    this.decodePayload(4, buf, offset + 12, protocol, buf, offset + headerLength, offset + totalLength, depth);
  }

  /** RFC 8200 §3. Payload Length 0 is a jumbogram (RFC 2675) or a segmentation-offload capture: use what is there. */
  private decodeIpv6(buf: Buffer, offset: number, end: number, depth: number): void {
    const available = end - offset;
    if (available < IPV6_HEADER_LENGTH) return this.cutShort('IPv6 header', IPV6_HEADER_LENGTH, available);
    const version = buf[offset]! >> 4;
    if (version !== 6) return this.malformed(`IPv6 header says version ${version}`);
    const payloadLength = uint16At(buf, offset + 4);
    let datagramEnd = end;
    if (payloadLength !== 0) {
      if (IPV6_HEADER_LENGTH + payloadLength > available) {
        return this.cutShort('IPv6 datagram', IPV6_HEADER_LENGTH + payloadLength, available);
      }
      datagramEnd = offset + IPV6_HEADER_LENGTH + payloadLength;
    }
    this.decodeIpv6Extensions(buf, offset + 8, buf[offset + 6]!, buf, offset + IPV6_HEADER_LENGTH, datagramEnd, depth, false);
  }

  /**
   * Walks IPv6 extension headers (RFC 8200 §4) from `offset` to the upper-layer protocol:
   * hop-by-hop (0), routing (43), destination options (60) and AH (51, RFC 4302: length in 4-byte
   * units minus 2) are skipped; a Fragment header (44) hands the rest to reassembly. No Next
   * Header (59) and every other value end the walk as the datagram's protocol.
   */
  private decodeIpv6Extensions(
    addressBuf: Buffer, addressOffset: number, nextHeader: number,
    buf: Buffer, offset: number, end: number, depth: number, reassembled: boolean,
  ): void {
    let next = nextHeader;
    let position = offset;
    for (;;) {
      switch (next) {
        case IP_PROTOCOL_HOP_BY_HOP:
        case IP_PROTOCOL_ROUTING:
        case IP_PROTOCOL_DESTINATION_OPTIONS:
        case IP_PROTOCOL_AH: {
          if (end - position < 2) return this.cutShort('IPv6 extension header', 2, end - position);
          const length = next === IP_PROTOCOL_AH ? (buf[position + 1]! + 2) * 4 : (buf[position + 1]! + 1) * 8;
          if (end - position < length) return this.cutShort('IPv6 extension header', length, end - position);
          next = buf[position]!;
          position += length;
          break;
        }
        case IP_PROTOCOL_FRAGMENT: {
          if (reassembled) return this.malformed('IPv6 datagram has a second Fragment header');
          if (end - position < 8) return this.cutShort('IPv6 Fragment header', 8, end - position);
          const offsetAndFlags = uint16At(buf, position + 2);
          const fragmentOffset = offsetAndFlags & 0xfff8;
          const moreFragments = (offsetAndFlags & 0x0001) !== 0;
          next = buf[position]!;
          if (fragmentOffset === 0 && !moreFragments) {
            // An atomic fragment (RFC 6946 §4): the whole datagram, processed as such.
            position += 8;
            break;
          }
          const fragment = this.fragment;
          fragment.version = 6;
          // (src, dst, Identification), RFC 8200 §4.5.
          fragment.key = addressBuf.toString('latin1', addressOffset, addressOffset + 32) + buf.toString('latin1', position + 4, position + 8);
          fragment.addressBuf = addressBuf;
          fragment.addressOffset = addressOffset;
          fragment.protocol = next;
          fragment.id = buf.readUInt32BE(position + 4);
          fragment.offset = fragmentOffset;
          fragment.more = moreFragments;
          // The IPv6 header and the unfragmentable extension headers come before the payload.
          fragment.headerLength = IPV6_HEADER_LENGTH + position - offset;
          this.reassemble(buf, position + 8, end, depth);
          return;
        }
        default:
          this.decodePayload(6, addressBuf, addressOffset, next, buf, position, end, depth);
          return;
      }
    }
  }

  /** Hands the fragment described in `this.fragment` (data at [start, end)) to reassembly; decodes the datagram it completes. */
  private reassemble(buf: Buffer, start: number, end: number, depth: number): void {
    const fragment = this.fragment;
    const packet = this.packet;
    fragment.data = buf;
    fragment.start = start;
    fragment.end = end;
    fragment.frames = this.frames ?? [packet.frame];
    fragment.frame = packet.frame;
    fragment.fileOffset = packet.fileOffset;
    fragment.time = packet.ts.sec + packet.ts.nsec / 1e9;
    const datagram = this.reassembler.add(fragment);
    if (datagram !== null) this.decodeReassembled(datagram, depth);
  }

  private decodeReassembled(datagram: ReassembledDatagram, depth: number): void {
    const outerFrames = this.frames;
    this.frames = datagram.frames;
    const payload = datagram.payload;
    if (datagram.version === 4) {
      this.decodePayload(4, datagram.addresses, 0, datagram.protocol, payload, 0, payload.length, depth);
    } else {
      this.decodeIpv6Extensions(datagram.addresses, 0, datagram.protocol, payload, 0, payload.length, depth, true);
    }
    this.frames = outerFrames;
  }

  // ------------------------------------------------------------------ tunnels and delivery

  /**
   * The payload of a complete IP datagram: a tunnel to open (IP-in-IP, 6in4, GRE, VXLAN) or the
   * innermost datagram to emit. Addresses are `addressBuf` at `addressOffset` (source, then destination).
   */
  private decodePayload(
    version: IpVersion, addressBuf: Buffer, addressOffset: number, protocol: number,
    buf: Buffer, start: number, end: number, depth: number,
  ): void {
    switch (protocol) {
      case IP_PROTOCOL_IPV4:
        if (depth >= this.maxDepth) return this.tooDeep();
        this.decodeIpv4(buf, start, end, depth + 1);
        return;
      case IP_PROTOCOL_IPV6:
        if (depth >= this.maxDepth) return this.tooDeep();
        this.decodeIpv6(buf, start, end, depth + 1);
        return;
      case IP_PROTOCOL_GRE: {
        const headerLength = greHeaderLength(buf, start, end);
        if (headerLength === TRUNCATED) return this.cutShort('GRE header', 4, end - start);
        if (headerLength === UNSUPPORTED) break;
        if (depth >= this.maxDepth) return this.tooDeep();
        this.decodeGre(buf, start, headerLength, end, depth + 1);
        return;
      }
      case IP_PROTOCOL_UDP:
        if (!isVxlan(buf, start, end)) break;
        if (depth >= this.maxDepth) return this.tooDeep();
        this.decodeEthernet(buf, start + UDP_HEADER_LENGTH + VXLAN_HEADER_LENGTH, end, depth + 1);
        return;
    }
    const addressLength = version === 4 ? 4 : 16;
    const src = this.formatAddress(version, addressBuf, addressOffset);
    const dst = this.formatAddress(version, addressBuf, addressOffset + addressLength);
    const frames = this.frames ?? [this.packet.frame];
    this.sink.datagram(version, src, dst, protocol, buf, start, end, frames, this.packet);
  }

  /** What a GRE header at `start` carries (its protocol type is an EtherType), with ERSPAN's own headers. */
  private decodeGre(buf: Buffer, start: number, headerLength: number, end: number, depth: number): void {
    const protocolType = uint16At(buf, start + 2);
    const inner = start + headerLength;
    switch (protocolType) {
      case ETHERTYPE_TRANSPARENT_ETHERNET:
        this.decodeEthernet(buf, inner, end, depth);
        return;
      case ETHERTYPE_ERSPAN_II: {
        // Type I has no ERSPAN header and no GRE sequence number; type II has both.
        if ((uint16At(buf, start) & GRE_SEQUENCE_PRESENT) === 0) {
          this.decodeEthernet(buf, inner, end, depth);
          return;
        }
        if (end - inner < ERSPAN_II_HEADER_LENGTH) return this.cutShort('ERSPAN type II header', ERSPAN_II_HEADER_LENGTH, end - inner);
        if (erspanVersion(buf, inner) !== ERSPAN_II_VERSION) return this.malformed(`ERSPAN type II header says version ${erspanVersion(buf, inner)}`);
        this.decodeEthernet(buf, inner + ERSPAN_II_HEADER_LENGTH, end, depth);
        return;
      }
      case ETHERTYPE_ERSPAN_III: {
        const erspanLength = erspanIIIHeaderLength(buf, inner, end);
        if (erspanLength === TRUNCATED) return this.cutShort('ERSPAN type III header', 12, end - inner);
        if (erspanVersion(buf, inner) !== ERSPAN_III_VERSION) return this.malformed(`ERSPAN type III header says version ${erspanVersion(buf, inner)}`);
        const frameType = erspanIIIFrameType(buf, inner);
        if (frameType === ERSPAN_FRAME_ETHERNET) this.decodeEthernet(buf, inner + erspanLength, end, depth);
        else if (frameType === ERSPAN_FRAME_IP) this.decodeIpByVersion(buf, inner + erspanLength, end, depth);
        else this.counters.nonIp++;
        return;
      }
      default:
        this.decodeEthertype(protocolType, buf, inner, end, depth);
    }
  }

  private formatAddress(version: IpVersion, buf: Buffer, offset: number): string {
    return version === 4 ? this.ipv4Text.format(buf, offset) : formatIpv6(buf, offset);
  }

  // ------------------------------------------------------------------ warnings

  /**
   * A header or datagram ends before its length says. When the capture's snapshot length cut the
   * packet that is expected of every packet, so only the first is reported (and a total in finish()).
   */
  private cutShort(what: string, needed: number, available: number): void {
    const packet = this.packet;
    if (packet.truncated) {
      this.cutBySnapLength++;
      if (this.cutBySnapLength > 1) return;
      this.warn(`Frame ${packet.frame}: ${what} needs ${needed} bytes but the capture's snapshot length kept ${available}: packet skipped (later packets cut like this are only counted)`);
      return;
    }
    this.warn(`Frame ${packet.frame}: ${what} needs ${needed} bytes, only ${available} present: packet skipped`);
  }

  private malformed(what: string): void {
    this.warn(`Frame ${this.packet.frame}: ${what}: packet skipped`);
  }

  private tooDeep(): void {
    this.warn(`Frame ${this.packet.frame}: more than ${this.maxDepth} levels of encapsulation (VLAN tags, MPLS, tunnels): packet skipped`);
  }

  private warn(message: string): void {
    this.onWarning({ offset: this.packet.fileOffset, packet: this.packet.frame, message });
  }
}

/** IP version for a BSD loopback address family value, or 0 when it is none of them. */
function loopbackFamilyVersion(family: number): 0 | 4 | 6 {
  if (family === AF_INET) return 4;
  if (family === AF_INET6_BSD || family === AF_INET6_FREEBSD || family === AF_INET6_DARWIN) return 6;
  return 0;
}
