// Writing pcapng: the section header, one Ethernet interface with nanosecond timestamps, and
// enhanced packet blocks (pcapng draft, §4.1-4.3), plus Ethernet + IPv4 + UDP frames. Shared
// by the benchmark's capture builders.

export const ETHERNET = 14;

function block(type: number, body: Buffer): Buffer {
  const len = 12 + body.length + ((4 - (body.length % 4)) % 4);
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}

/** Section header block: little-endian, version 1.0, section length unknown. */
export function sectionHeader(): Buffer {
  const body = Buffer.alloc(16);
  body.writeUInt32LE(0x1a2b3c4d, 0);
  body.writeUInt16LE(1, 4);
  body.writeUInt16LE(0, 6);
  body.writeBigInt64LE(-1n, 8);
  return block(0x0a0d0d0a, body);
}

/** Interface 0: Ethernet, nanosecond timestamps (if_tsresol 9). */
export function interfaceDescription(): Buffer {
  const body = Buffer.alloc(8 + 8 + 4);
  body.writeUInt16LE(1, 0); // Ethernet
  body.writeUInt32LE(262144, 4);
  body.writeUInt16LE(9, 8); // if_tsresol
  body.writeUInt16LE(1, 10);
  body.writeUInt8(9, 12); // nanoseconds
  return block(1, body);
}

export function enhancedPacket(sec: number, nsec: number, data: Buffer): Buffer {
  const body = Buffer.alloc(20 + data.length);
  const ts = BigInt(sec) * 1_000_000_000n + BigInt(nsec);
  body.writeUInt32LE(0, 0);
  body.writeUInt32LE(Number(ts >> 32n), 4);
  body.writeUInt32LE(Number(ts & 0xffffffffn), 8);
  body.writeUInt32LE(data.length, 12);
  body.writeUInt32LE(data.length, 16);
  data.copy(body, 20);
  return block(6, body);
}

export function ipv4Checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) if (i !== 10) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface UdpEndpoint {
  /** Dotted IPv4 address. */
  ip: string;
  port: number;
}

/** An Ethernet + IPv4 (20-byte header, TTL 64) + UDP frame; the UDP checksum is left 0 (optional over IPv4, RFC 768). */
export function udpFrame(from: UdpEndpoint, to: UdpEndpoint, payload: Buffer): Buffer {
  const ip = ETHERNET;
  const udp = ip + 20;
  const out = Buffer.alloc(udp + 8 + payload.length);
  out.writeUInt16BE(0x0800, 12); // EtherType IPv4; MAC addresses left zero
  out[ip] = 0x45;
  out.writeUInt16BE(20 + 8 + payload.length, ip + 2);
  out[ip + 8] = 64;
  out[ip + 9] = 17;
  from.ip.split('.').forEach((b, i) => (out[ip + 12 + i] = Number(b)));
  to.ip.split('.').forEach((b, i) => (out[ip + 16 + i] = Number(b)));
  out.writeUInt16BE(ipv4Checksum(out.subarray(ip, udp)), ip + 10);
  out.writeUInt16BE(from.port, udp);
  out.writeUInt16BE(to.port, udp + 2);
  out.writeUInt16BE(8 + payload.length, udp + 4);
  payload.copy(out, udp + 8);
  return out;
}
