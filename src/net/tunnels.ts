// Header arithmetic of the encapsulations that carry SIP inside another packet: GRE, ERSPAN,
// VXLAN and MPLS. Each function only measures a header; the decoder decides what follows.
// Results below 0 mean the header is cut short by the end of the data.
import { uint16At } from '../buffer-calls.js';
import { UDP_HEADER_LENGTH, VXLAN_HEADER_LENGTH, VXLAN_UDP_PORT } from './constants.js';

/** Returned when the header is cut short by the end of the data. */
export const TRUNCATED = -1;
/** Returned when the header is of a kind this decoder does not follow. */
export const UNSUPPORTED = -2;

const GRE_CHECKSUM_PRESENT = 0x8000;
const GRE_ROUTING_PRESENT = 0x4000;
const GRE_KEY_PRESENT = 0x2000;
export const GRE_SEQUENCE_PRESENT = 0x1000;
const GRE_VERSION_MASK = 0x0007;

/**
 * Length of the GRE header at `offset`:
 *
 *     |C|R|K|S|s|Recur|  Flags  | Ver |         Protocol Type         |
 *     |      Checksum (optional)      |       Offset (optional)       |
 *     |                         Key (optional)                        |
 *     |                 Sequence Number (optional)                    |
 *
 * (RFC 2784 §2, RFC 2890 §2; checksum and offset are present when C or R is set, RFC 1701 §2.1).
 * Version 1 (PPTP's enhanced GRE, which carries PPP) and source routing are UNSUPPORTED.
 */
export function greHeaderLength(buf: Buffer, offset: number, end: number): number {
  if (end - offset < 4) return TRUNCATED;
  const flags = uint16At(buf, offset);
  if ((flags & GRE_VERSION_MASK) !== 0 || (flags & GRE_ROUTING_PRESENT) !== 0) return UNSUPPORTED;
  let length = 4;
  if (flags & GRE_CHECKSUM_PRESENT) length += 4;
  if (flags & GRE_KEY_PRESENT) length += 4;
  if (flags & GRE_SEQUENCE_PRESENT) length += 4;
  return end - offset < length ? TRUNCATED : length;
}

/**
 * ERSPAN type II header (draft-foschiano-erspan §4.2), 8 bytes, then the mirrored Ethernet frame:
 *
 *     |  Ver  |          VLAN         | COS | En|T|    Session ID     |
 *     |      Reserved         |                  Index                |
 *
 * Ver is 1. (Type I has no header at all; it is told apart by the GRE sequence bit being clear.)
 */
export const ERSPAN_II_HEADER_LENGTH = 8;
export const ERSPAN_II_VERSION = 1;

/**
 * ERSPAN type III header (draft-foschiano-erspan §4.3), 12 bytes, plus 8 when O is set:
 *
 *     |  Ver  |          VLAN         | COS |BSO|T|     Session ID    |
 *     |                          Timestamp                            |
 *     |             SGT               |P|    FT   |   Hw ID   |D|Gra|O|
 *     |                 Platform Specific SubHeader (optional)        |
 *     |                 Platform Specific SubHeader (optional)        |
 *
 * Ver is 2. FT (frame type) 0 is an Ethernet frame, 2 an IP packet.
 */
const ERSPAN_III_HEADER_LENGTH = 12;
const ERSPAN_III_SUBHEADER_LENGTH = 8;
export const ERSPAN_III_VERSION = 2;
export const ERSPAN_FRAME_ETHERNET = 0;
export const ERSPAN_FRAME_IP = 2;

/** Version field (top 4 bits) of an ERSPAN II or III header. */
export function erspanVersion(buf: Buffer, offset: number): number {
  return buf[offset]! >> 4;
}

/** Length of the ERSPAN type III header at `offset`, including the platform-specific subheader when O is set. */
export function erspanIIIHeaderLength(buf: Buffer, offset: number, end: number): number {
  if (end - offset < ERSPAN_III_HEADER_LENGTH) return TRUNCATED;
  const hasSubheader = (buf[offset + 11]! & 0x01) !== 0;
  const length = ERSPAN_III_HEADER_LENGTH + (hasSubheader ? ERSPAN_III_SUBHEADER_LENGTH : 0);
  return end - offset < length ? TRUNCATED : length;
}

/** Frame type (FT) of the ERSPAN type III header at `offset`. */
export function erspanIIIFrameType(buf: Buffer, offset: number): number {
  return (buf[offset + 10]! >> 2) & 0x1f;
}

/**
 * True when the UDP datagram at `udpOffset` is VXLAN (RFC 7348 §5): destination port 4789 and
 * the I flag set. The other flag bits must be clear except G (0x80, the group-policy extension);
 * that also keeps any ASCII text sent to port 4789 (every letter has 0x40 set) from being
 * mistaken for VXLAN.
 */
export function isVxlan(buf: Buffer, udpOffset: number, end: number): boolean {
  if (end - udpOffset < UDP_HEADER_LENGTH + VXLAN_HEADER_LENGTH) return false;
  if (uint16At(buf, udpOffset + 2) !== VXLAN_UDP_PORT) return false;
  const flags = buf[udpOffset + UDP_HEADER_LENGTH]!;
  return (flags & 0x08) !== 0 && (flags & 0x77) === 0;
}

/**
 * Offset just past the MPLS label stack at `offset` (RFC 3032 §2.1: 4-byte entries, the S bit,
 * 0x100 of the third byte, marks the bottom of the stack), or TRUNCATED.
 */
export function mplsStackEnd(buf: Buffer, offset: number, end: number): number {
  let position = offset;
  for (;;) {
    if (end - position < 4) return TRUNCATED;
    const bottomOfStack = (buf[position + 2]! & 0x01) !== 0;
    position += 4;
    if (bottomOfStack) return position;
  }
}
