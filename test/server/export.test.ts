// pcap export: the frames of the chosen calls, byte for byte, with their timestamps and link
// type (all frames of reassembled messages included); and the synthetic pcap of an
// anonymised share, which decodes to the share's messages.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCapture } from '../../src/capture/index.js';
import { decodeCapture } from '../../src/pipeline.js';
import type { RawPacket, SipMessage } from '../../src/model.js';
import { readPcap } from './helpers/pcap.js';
import { corpusFile, getJson, sendJson, startServer, uploadRaw, waitSettled, type ServerProcess } from './helpers/server.js';

async function framesOf(path: string): Promise<Map<number, RawPacket>> {
  const frames = new Map<number, RawPacket>();
  await readCapture(path, { packet: (p) => frames.set(p.frame, { ...p, data: Buffer.from(p.data) }), warning() {} });
  return frames;
}

describe('pcap export', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  const CASES: [string, 'pcapng' | 'pcap', number][] = [
    ['call-basic-udp', 'pcapng', 0],
    ['call-basic-udp', 'pcap', 0],
    ['call-basic-udp-sll', 'pcapng', 1],
    ['tcp-coalesced-and-split', 'pcapng', 1],
    ['tcp-big-sdp-segments', 'pcapng', 0],
    ['udp-ip-fragmented', 'pcapng', 0],
    ['call-basic-ipv6', 'pcapng', 0],
  ];

  it.each(CASES)('%s (%s), call %i: exactly the frames of the call', async (name, variant, index) => {
    const path = corpusFile(name, variant);
    const { capture } = await (await uploadRaw(server.url, path)).json();
    await waitSettled(server.url, capture.id);
    const base = `${server.url}/api/captures/${capture.id}`;
    const calls = (await getJson(`${base}/calls`)).items;
    const callId = calls[index].callId as string;
    const detail = await getJson(`${base}/calls/${encodeURIComponent(callId)}`);
    const wanted = [...new Set<number>(detail.messages.flatMap((m: SipMessage) => m.frames))].sort((a, b) => a - b);

    const r = await fetch(`${base}/export.pcap?callIds=${encodeURIComponent(callId)}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/vnd.tcpdump.pcap');
    const file = Buffer.from(await r.arrayBuffer());
    const exported = readPcap(file);
    const original = await framesOf(path);
    const first = original.get(wanted[0]!)!;
    expect(exported.linkType).toBe(first.linkType);
    expect(exported.nanoseconds).toBe(first.ts.digits > 6);
    expect(exported.frames.map((f) => f.data)).toEqual(wanted.map((n) => original.get(n)!.data));
    expect(exported.frames.map((f) => [f.sec, f.fraction])).toEqual(
      wanted.map((n) => {
        const ts = original.get(n)!.ts;
        return [ts.sec, exported.nanoseconds ? ts.nsec : Math.floor(ts.nsec / 1000)];
      }),
    );
    // It is a capture again, whose SIP messages are the call's.
    const again: SipMessage[] = [];
    await decodeCapture(Readable.from([file]), { message: (m) => again.push(m) });
    expect(again.map((m) => [m.callId, m.cseq, m.method ?? m.status])).toEqual(detail.messages.map((m: SipMessage) => [m.callId, m.cseq, m.method ?? m.status]));
  });

  it('exports several calls at once, in capture order', async () => {
    const { capture } = await (await uploadRaw(server.url, corpusFile('message-im'))).json();
    await waitSettled(server.url, capture.id);
    const base = `${server.url}/api/captures/${capture.id}`;
    const calls = (await getJson(`${base}/calls`)).items.map((c: { callId: string }) => c.callId);
    const picked = [calls[2], calls[0]];
    const file = Buffer.from(await (await fetch(`${base}/export.pcap?callIds=${picked.map(encodeURIComponent).join(',')}`)).arrayBuffer());
    const again: SipMessage[] = [];
    await decodeCapture(Readable.from([file]), { message: (m) => again.push(m) });
    expect(again.map((m) => m.callId)).toEqual([calls[0], calls[0], calls[2], calls[2]]);
  });

  it.each(['call-basic-udp', 'call-basic-ipv6', 'tcp-coalesced-and-split'])('%s: an anonymised share exports a synthetic pcap of its anonymised messages', async (name) => {
    const { capture } = await (await uploadRaw(server.url, corpusFile(name))).json();
    await waitSettled(server.url, capture.id);
    const token = (await (await sendJson('POST', `${server.url}/api/shares`, { captureId: capture.id, anonymize: true })).json()).token;
    const base = `${server.url}/api/s/${token}`;
    const file = Buffer.from(await (await fetch(`${base}/export.pcap`)).arrayBuffer());
    const pcap = readPcap(file);
    expect(pcap.linkType).toBe(1);
    expect(pcap.nanoseconds).toBe(true);
    const decoded: { message: SipMessage; raw: string }[] = [];
    await decodeCapture(Readable.from([file]), { message: (m, raw) => decoded.push({ message: m, raw: raw.toString('latin1') }) });
    expect(decoded).toHaveLength((await getJson(`${server.url}/api/captures/${capture.id}`)).messages);
    for (const { message, raw } of decoded) {
      const shown = await getJson(`${base}/messages/${message.id}`);
      expect(raw).toBe(shown.raw);
      expect([message.src, message.dst, message.time, message.transport]).toEqual([shown.message.src, shown.message.dst, shown.message.time, 'UDP']);
    }
  });
});
