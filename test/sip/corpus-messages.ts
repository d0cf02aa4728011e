// Test-only extraction of the raw SIP messages of a corpus capture, independent of src/capture,
// src/net and src/transport (so these tests check the SIP layer alone). It reads the classic
// pcap variant: Ethernet (DLT 1) or Linux cooked v1 (DLT 113), IPv4 (fragments reassembled) or
// IPv6 (no extension headers in the corpus), UDP datagrams as they are, TCP streams in order
// per direction (the corpus is loopback / veth: no loss, no reordering) cut into messages by
// Content-Length. Messages come out in the frame where they complete, as tshark reports them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The shared corpus lives beside the project. */
export const CORPUS = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');

export interface CorpusMessage {
  frame: number;
  transport: 'UDP' | 'TCP';
  bytes: Buffer;
}

/** One record of messages.json (the fields these tests compare). */
export interface GroundTruth {
  msg: number;
  frame: number;
  index_in_frame: number;
  transport: string;
  type: 'request' | 'response';
  method?: string;
  request_uri?: string;
  status?: number;
  reason?: string | null;
  call_id: string | null;
  from_uri: string | null;
  to_uri: string | null;
  cseq: string | null;
  cseq_seq: number | null;
  cseq_method: string | null;
  via_branch: string | null;
  via_sent_by: string | null;
  via_count: number;
  from_tag: string | null;
  to_tag: string | null;
  content_type: string | null;
  content_length: number | null;
  expires: number | null;
  retry_after: number | null;
  rseq: number | null;
  subscription_state: string | null;
  has_credentials: boolean;
}

/** Every capture folder of the corpus (those with a messages.json). */
export function corpusNames(): string[] {
  return readdirSync(CORPUS, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(CORPUS, entry.name, 'messages.json')))
    .map((entry) => entry.name)
    .sort();
}

export function groundTruth(name: string): GroundTruth[] {
  return (JSON.parse(readFileSync(join(CORPUS, name, 'messages.json'), 'utf8')) as { messages: GroundTruth[] }).messages;
}

/** The SIP messages of CORPUS/name/name.pcap in capture order. */
export function corpusMessages(name: string): CorpusMessage[] {
  const file = readFileSync(join(CORPUS, name, `${name}.pcap`));
  const little = file.readUInt32LE(0) === 0xa1b2c3d4 || file.readUInt32LE(0) === 0xa1b23c4d;
  const u32 = (o: number) => (little ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const linkType = u32(20);
  const out: CorpusMessage[] = [];
  const fragments = new Map<string, { parts: { offset: number; data: Buffer }[]; total: number }>();
  const streams = new Map<string, Buffer>();
  let frame = 0;
  for (let pos = 24; pos + 16 <= file.length; ) {
    const captured = u32(pos + 8);
    const packet = file.subarray(pos + 16, pos + 16 + captured);
    pos += 16 + captured;
    frame++;
    let l3: Buffer;
    let etherType: number;
    if (linkType === 1) {
      etherType = packet.readUInt16BE(12);
      l3 = packet.subarray(14);
    } else if (linkType === 113) {
      etherType = packet.readUInt16BE(14);
      l3 = packet.subarray(16);
    } else throw new Error(`link type ${linkType} not handled by the test extractor`);
    let protocol: number;
    let l4: Buffer;
    let flowIps: string;
    if (etherType === 0x0800) {
      const ihl = (l3[0] & 0x0f) * 4;
      const totalLength = l3.readUInt16BE(2);
      const flags = l3.readUInt16BE(6);
      const fragmentOffset = (flags & 0x1fff) * 8;
      const moreFragments = (flags & 0x2000) !== 0;
      protocol = l3[9];
      flowIps = `${l3.subarray(12, 16).join('.')}>${l3.subarray(16, 20).join('.')}`;
      let payload = l3.subarray(ihl, totalLength);
      if (moreFragments || fragmentOffset > 0) {
        const key = `${flowIps}/${l3.readUInt16BE(4)}`;
        const entry = fragments.get(key) ?? { parts: [], total: -1 };
        fragments.set(key, entry);
        entry.parts.push({ offset: fragmentOffset, data: Buffer.from(payload) });
        if (!moreFragments) entry.total = fragmentOffset + payload.length;
        const have = entry.parts.reduce((n, p) => n + p.data.length, 0);
        if (entry.total < 0 || have < entry.total) continue;
        payload = Buffer.concat(entry.parts.sort((a, b) => a.offset - b.offset).map((p) => p.data));
        fragments.delete(key);
      }
      l4 = payload;
    } else if (etherType === 0x86dd) {
      protocol = l3[6];
      flowIps = `${l3.subarray(8, 24).toString('hex')}>${l3.subarray(24, 40).toString('hex')}`;
      l4 = l3.subarray(40, 40 + l3.readUInt16BE(4));
    } else continue;
    if (protocol === 17) {
      const payload = l4.subarray(8, l4.readUInt16BE(4));
      if (looksLikeSip(payload)) out.push({ frame, transport: 'UDP', bytes: Buffer.from(payload) });
    } else if (protocol === 6) {
      const payload = l4.subarray((l4[12] >> 4) * 4);
      if (payload.length === 0) continue;
      const key = `${flowIps}:${l4.readUInt16BE(0)}>${l4.readUInt16BE(2)}`;
      let stream = Buffer.concat([streams.get(key) ?? Buffer.alloc(0), payload]);
      for (;;) {
        let start = 0;
        while (start < stream.length && (stream[start] === 13 || stream[start] === 10)) start++; // keep-alive CRLFs
        stream = stream.subarray(start);
        const headerEnd = stream.indexOf('\r\n\r\n');
        if (headerEnd < 0) break;
        const head = stream.toString('latin1', 0, headerEnd);
        const lengthHeader = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)/im.exec(head);
        const total = headerEnd + 4 + (lengthHeader ? Number(lengthHeader[1]) : 0);
        if (stream.length < total) break;
        out.push({ frame, transport: 'TCP', bytes: Buffer.from(stream.subarray(0, total)) });
        stream = stream.subarray(total);
      }
      streams.set(key, stream);
    }
  }
  return out;
}

function looksLikeSip(payload: Buffer): boolean {
  const firstLine = payload.toString('latin1', 0, Math.min(payload.length, 200)).split('\r\n')[0];
  return firstLine.startsWith('SIP/2.0 ') || firstLine.endsWith(' SIP/2.0');
}
