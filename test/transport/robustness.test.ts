// Properties over real bytes: any segmentation and any arrival order of a real TCP stream gives
// the same messages; damaged and random input never makes the decoder throw; a stream that never
// frames is bounded by the stream buffer.
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACK, CLIENT, Collector, CORPUS, PSH, TcpScript, datagramsOf, ipPacket, rawPacket, tcp, udp } from './helpers.js';

const STREAM_CAPTURE = join(CORPUS, 'tcp-coalesced-and-split', 'tcp-coalesced-and-split.pcapng');

/** The server-to-client byte stream of tcp-coalesced-and-split (payloads of 15150 -> 15151 in order). */
function serverStream(): Buffer {
  const parts: Buffer[] = [];
  for (const { ip } of datagramsOf(STREAM_CAPTURE)) {
    const b = ip.payload;
    if (ip.protocol !== 6 || b.readUInt16BE(0) !== 15150) continue;
    const payload = b.subarray((b[12] >> 4) * 4);
    if (payload.length > 0) parts.push(payload);
  }
  return Buffer.concat(parts);
}

const STREAM = serverStream();

function decodeSegments(cuts: number[], order: number[], duplicates: number[]): string[] {
  const points = [0, ...new Set(cuts.map((c) => c % STREAM.length))].sort((a, b) => a - b).filter((p, i, all) => i === 0 || p !== all[i - 1]);
  const segments = points.map((start, i) => ({ start, data: STREAM.subarray(start, i + 1 < points.length ? points[i + 1] : STREAM.length) }));
  const s = new TcpScript();
  s.handshake();
  const base = s.serverSeq;
  const sequence = [...order.map((i) => i % segments.length), ...segments.map((_, i) => i), ...duplicates.map((i) => i % segments.length)];
  for (const i of sequence) s.raw('server', base + segments[i].start, PSH | ACK, segments[i].data, s.clientSeq);
  const { messages, warnings } = s.finish();
  expect(warnings).toEqual([]);
  return messages.map((m) => m.text);
}

describe('robustness', () => {
  it('any segmentation, arrival order and duplication of a real stream yields the same messages', () => {
    const expected = decodeSegments([], [], []);
    expect(expected.length).toBe(12);
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (cuts, order, duplicates) => {
          expect(decodeSegments(cuts, order, duplicates)).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('random and damaged packets never make it throw', () => {
    const real = datagramsOf(STREAM_CAPTURE).map((d) => d.ip);
    const c = new Collector({ maxStreams: 8, maxStreamBuffer: 4096 });
    let frame = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(6, 17, 132),
        fc.uint8Array({ maxLength: 600 }),
        fc.nat(real.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }),
        (protocol, random, which, flips) => {
          frame++;
          c.decoder.handle(ipPacket(CLIENT, protocol, Buffer.from(random), [frame]), rawPacket(frame));
          const damaged = Buffer.from(real[which].payload);
          for (const [at, value] of flips) damaged[at % damaged.length] = value;
          frame++;
          c.decoder.handle({ ...real[which], payload: damaged, frames: [frame] }, rawPacket(frame));
        },
      ),
      { numRuns: 2000 },
    );
    c.decoder.finish();
    expect(c.warnings.filter((w) => w.message.startsWith('transport:'))).toEqual([]);
  });

  it('a stream whose header never ends is dropped at the stream buffer size, then decoding goes on', () => {
    const s = new TcpScript({ maxStreamBuffer: 64 * 1024 });
    s.handshake();
    s.send('client', 'INVITE sip:bob@192.0.2.20 SIP/2.0\r\nX-Filler: ');
    const chunk = Buffer.alloc(1000, 0x61);
    for (let i = 0; i < 100; i++) s.send('client', chunk);
    s.send('client', '\r\nOPTIONS sip:bob@192.0.2.20 SIP/2.0\r\nContent-Length: 0\r\n\r\n');
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.text.slice(0, 7))).toEqual(['OPTIONS']);
    expect(warnings[0].message).toBe('TCP 192.0.2.10:5060 -> 192.0.2.20:5061: SIP header longer than 65536 bytes; skipped');
  });

  it('a header arriving one byte per segment is searched once, not once per segment (completes quickly)', () => {
    const s = new TcpScript();
    s.handshake();
    const big = Buffer.from(`MESSAGE sip:bob@x SIP/2.0\r\nX-Filler: ${'b'.repeat(60_000)}\r\nContent-Length: 0\r\n\r\n`, 'latin1');
    const started = process.hrtime.bigint();
    for (let i = 0; i < big.length; i++) s.send('client', big.subarray(i, i + 1));
    const { messages } = s.finish();
    expect(messages.length).toBe(1);
    expect(messages[0].bytes.equals(big)).toBe(true);
    expect(Number(process.hrtime.bigint() - started) / 1e9).toBeLessThan(20);
  });

  it('UDP and TCP packets whose headers claim more than they hold', () => {
    const c = new Collector();
    const shortUdp = udp(5060, 5060, Buffer.from('INVITE sip:a@b SIP/2.0\r\n\r\n'));
    shortUdp.writeUInt16BE(65000, 4);
    c.decoder.handle(ipPacket(CLIENT, 17, shortUdp, [1]), rawPacket(1));
    c.decoder.handle(ipPacket(CLIENT, 6, tcp(1, 2, 0, 0, 0x18).subarray(0, 19), [2]), rawPacket(2));
    c.decoder.finish();
    expect(c.messages.map((m) => m.text)).toEqual(['INVITE sip:a@b SIP/2.0\r\n\r\n']);
  });
});
