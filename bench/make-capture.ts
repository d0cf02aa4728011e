// Builds a large realistic capture for the benchmark: the bundled 500-call mix
// (traces/callmix-udp-500.pcapng.gz, Ethernet + IPv4 + UDP) replicated with fresh
// Call-IDs, tags, branches and times, until the file reaches the wanted size.
// Each replica k prefixes every Call-ID, tag and branch with `k.`, so every call is
// distinct to an analyzer, and is shifted in time so the calls follow each other.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { readCapture } from '../src/capture/index.js';
import { scanSip } from '../src/sip/index.js';

const ETHERNET = 14;
const BRANCH_COOKIE = 'z9hG4bK';

interface SourcePacket {
  sec: number;
  nsec: number;
  /** Ethernet + IPv4 header bytes (UDP header rebuilt per replica). */
  linkAndIp: Buffer;
  udpPorts: Buffer;
  payload: Buffer;
  /** Strings of this message to make unique per replica. */
  tokens: string[];
}

async function loadSource(path: string): Promise<SourcePacket[]> {
  const packets: SourcePacket[] = [];
  await readCapture(path, {
    packet(p) {
      const ihl = (p.data[ETHERNET] & 0x0f) * 4;
      if (p.linkType !== 1 || p.data[ETHERNET + 9] !== 17) return;
      const udp = ETHERNET + ihl;
      const payload = Buffer.from(p.data.subarray(udp + 8));
      const head = scanSip(payload, { datagram: true });
      const tokens = [head.callId, head.fromTag, head.toTag].filter((t): t is string => !!t && t.length >= 4);
      if (head.branch?.startsWith(BRANCH_COOKIE)) tokens.push(head.branch.slice(BRANCH_COOKIE.length));
      packets.push({
        sec: p.ts.sec,
        nsec: p.ts.nsec,
        linkAndIp: Buffer.from(p.data.subarray(0, udp)),
        udpPorts: Buffer.from(p.data.subarray(udp, udp + 4)),
        payload,
        tokens,
      });
    },
    warning() {},
  });
  return packets;
}

/** Replaces every occurrence of each token by prefix + token. */
function rewrite(payload: Buffer, tokens: string[], prefix: string): Buffer {
  let text = payload.toString('latin1');
  for (const t of tokens) text = text.split(t).join(prefix + t);
  return Buffer.from(text, 'latin1');
}

function ipv4Checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) if (i !== 10) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function frame(src: SourcePacket, payload: Buffer): Buffer {
  const ipLen = src.linkAndIp.length - ETHERNET;
  const out = Buffer.alloc(src.linkAndIp.length + 8 + payload.length);
  src.linkAndIp.copy(out, 0);
  out.writeUInt16BE(ipLen + 8 + payload.length, ETHERNET + 2);
  out.writeUInt16BE(0, ETHERNET + 10);
  out.writeUInt16BE(ipv4Checksum(out.subarray(ETHERNET, ETHERNET + ipLen)), ETHERNET + 10);
  const udp = src.linkAndIp.length;
  src.udpPorts.copy(out, udp);
  out.writeUInt16BE(8 + payload.length, udp + 4);
  out.writeUInt16BE(0, udp + 6); // checksum optional over IPv4 (RFC 768)
  payload.copy(out, udp + 8);
  return out;
}

function block(type: number, body: Buffer): Buffer {
  const len = 12 + body.length + ((4 - (body.length % 4)) % 4);
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}

function sectionHeader(): Buffer {
  const body = Buffer.alloc(16);
  body.writeUInt32LE(0x1a2b3c4d, 0);
  body.writeUInt16LE(1, 4);
  body.writeUInt16LE(0, 6);
  body.writeBigInt64LE(-1n, 8);
  return block(0x0a0d0d0a, body);
}

function interfaceDescription(): Buffer {
  const body = Buffer.alloc(8 + 8 + 4);
  body.writeUInt16LE(1, 0); // Ethernet
  body.writeUInt32LE(262144, 4);
  body.writeUInt16LE(9, 8); // if_tsresol
  body.writeUInt16LE(1, 10);
  body.writeUInt8(9, 12); // nanoseconds
  return block(1, body);
}

function enhancedPacket(sec: number, nsec: number, data: Buffer): Buffer {
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

/** Writes a pcapng of at least targetBytes; returns the number of packets written. */
export async function makeBenchCapture(sourcePath: string, outPath: string, targetBytes: number): Promise<number> {
  const source = await loadSource(sourcePath);
  if (source.length === 0) throw new Error(`no UDP SIP packets in ${sourcePath}`);
  const span = source[source.length - 1].sec - source[0].sec + 1;
  const out = createWriteStream(outPath);
  let written = 0;
  let packets = 0;
  const push = async (b: Buffer) => {
    written += b.length;
    if (!out.write(b)) await once(out, 'drain');
  };
  await push(sectionHeader());
  await push(interfaceDescription());
  for (let k = 0; written < targetBytes; k++) {
    const prefix = `${k.toString(36)}.`;
    for (const p of source) {
      const payload = k === 0 ? p.payload : rewrite(p.payload, p.tokens, prefix);
      await push(enhancedPacket(p.sec + k * span, p.nsec, frame(p, payload)));
      packets++;
    }
  }
  out.end();
  await once(out, 'finish');
  return packets;
}
