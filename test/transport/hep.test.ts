// HEP (Homer Encapsulation Protocol) packets built byte by byte around real corpus SIP
// messages. No capture tool here emits HEP, and tshark 4.0 has no HEP dissector, so the
// layouts follow the HEP3 specification (sipcapture/HEP, HEP3 rev 12) and the agents' C structs:
//
// HEP3 (all big-endian):
//   "HEP3" | u16 total length (whole packet) | chunks...
//   chunk: u16 vendor id (0 = generic) | u16 type | u16 length (6-byte chunk header included) | value
//   types: 1 family (u8: 2 IPv4, 10 IPv6), 2 IP protocol (u8: 17 UDP, 6 TCP), 3/4 IPv4 src/dst,
//          5/6 IPv6 src/dst, 7/8 src/dst port (u16), 9 seconds (u32), 10 microseconds (u32),
//          11 payload type (u8, 1 = SIP), 12 capture agent id (u32), 15 payload, 16 compressed payload
// HEP v1/v2:
//   u8 version | u8 header length (16 IPv4 / 40 IPv6) | u8 family | u8 protocol | u16 sport | u16 dport
//   | src address | dst address | (v2) u32 tv_sec, u32 tv_usec, u16 capture id, 2 bytes of struct
//   padding, in the sender's byte order (little-endian on x86) | SIP payload
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ACK, Collector, PSH, TcpScript, corpusMessages, ipPacket, rawPacket, udp, type Addresses } from './helpers.js';

const CALL = corpusMessages('call-basic-udp');
const INVITE = CALL[0];
const TRYING = CALL[1];
const RINGING = CALL[2];

/** The capture agent's host sending to the HEP collector. */
const AGENT: Addresses = { src: '198.51.100.7', dst: '198.51.100.9' };
const HEP_SEC = 1_700_000_123;
const HEP_USEC = 456_789;

function hepChunk(type: number, value: Buffer, vendor = 0): Buffer {
  const h = Buffer.alloc(6);
  h.writeUInt16BE(vendor, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt16BE(6 + value.length, 4);
  return Buffer.concat([h, value]);
}

const u8 = (n: number) => Buffer.from([n]);
const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const ipv4 = (text: string) => Buffer.from(text.split('.').map(Number));

interface Hep3Options {
  protocol?: number;
  v6?: boolean;
  payloadType?: number;
  payloadChunk?: Buffer;
}

/** A HEP3 packet describing `sip` sent from 10.1.1.1:5060 to 10.2.2.2:5080 (or 2001:db8::a -> 2001:db8::b). */
function hep3(sip: Buffer, o: Hep3Options = {}): Buffer {
  const chunks = [
    hepChunk(1, u8(o.v6 ? 10 : 2)),
    hepChunk(2, u8(o.protocol ?? 17)),
    ...(o.v6
      ? [hepChunk(5, Buffer.from('20010db80000000000000000000000' + '0a', 'hex')), hepChunk(6, Buffer.from('20010db80000000000000000000000' + '0b', 'hex'))]
      : [hepChunk(3, ipv4('10.1.1.1')), hepChunk(4, ipv4('10.2.2.2'))]),
    hepChunk(7, u16(5060)),
    hepChunk(8, u16(5080)),
    hepChunk(9, u32(HEP_SEC)),
    hepChunk(10, u32(HEP_USEC)),
    hepChunk(11, u8(o.payloadType ?? 1)),
    hepChunk(12, u32(2001)),
    hepChunk(0x0020, Buffer.from('vendor chunk'), 0x0003), // a vendor's own chunk: ignored
    o.payloadChunk ?? hepChunk(15, sip),
  ];
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(6);
  head.write('HEP3', 0, 'latin1');
  head.writeUInt16BE(6 + body.length, 4);
  return Buffer.concat([head, body]);
}

/** A HEP v1/v2 packet (IPv4 10.1.1.1:5060 -> 10.2.2.2:5080 unless v6). */
function hep2(sip: Buffer, version: 1 | 2, o: { v6?: boolean; bigEndianTime?: boolean; packed?: boolean } = {}): Buffer {
  const addresses = o.v6
    ? Buffer.from('20010db8000000000000000000000a0a' + '20010db8000000000000000000000b0b', 'hex')
    : Buffer.concat([ipv4('10.1.1.1'), ipv4('10.2.2.2')]);
  const head = Buffer.from([version, 8 + addresses.length, o.v6 ? 10 : 2, 17, 0x13, 0xc4, 0x13, 0xd8]);
  const parts = [head, addresses];
  if (version === 2) {
    const time = Buffer.alloc(o.packed ? 10 : 12);
    if (o.bigEndianTime) {
      time.writeUInt32BE(HEP_SEC, 0);
      time.writeUInt32BE(HEP_USEC, 4);
    } else {
      time.writeUInt32LE(HEP_SEC, 0);
      time.writeUInt32LE(HEP_USEC, 4);
    }
    time.writeUInt16LE(2001, 8);
    parts.push(time);
  }
  return Buffer.concat([...parts, sip]);
}

function overUdp(payloads: Buffer[], port = 9060): Collector {
  const c = new Collector();
  payloads.forEach((p, i) => c.decoder.handle(ipPacket(AGENT, 17, udp(40000, port, p), [i + 1]), rawPacket(i + 1)));
  c.decoder.finish();
  return c;
}

describe('HEP3 over UDP', () => {
  it('the message takes its endpoints, transport and time from the HEP chunks, its frame from the packet', () => {
    const c = overUdp([hep3(INVITE)]);
    expect(c.warnings).toEqual([]);
    expect(c.messages.length).toBe(1);
    const m = c.messages[0];
    expect(m.bytes.equals(INVITE)).toBe(true);
    expect(m).toMatchObject({
      frame: 1, frames: [1], indexInFrame: 0, transport: 'UDP', ipVersion: 4,
      srcIp: '10.1.1.1', srcPort: 5060, dstIp: '10.2.2.2', dstPort: 5080,
      ts: { sec: HEP_SEC, nsec: HEP_USEC * 1000, digits: 6 },
    });
  });

  it('is recognised by its magic on any port', () => {
    expect(overUdp([hep3(INVITE)], 16061).messages.length).toBe(1);
  });

  it('IPv6 addresses and a TCP inner transport', () => {
    const c = overUdp([hep3(TRYING, { v6: true, protocol: 6 })]);
    expect(c.messages.map((m) => [m.ipVersion, m.srcIp, m.dstIp, m.transport])).toEqual([[6, '2001:db8::a', '2001:db8::b', 'TCP']]);
  });

  it('compressed payloads (gzip, zlib, raw deflate) are inflated', () => {
    const c = overUdp([
      hep3(INVITE, { payloadChunk: hepChunk(16, gzipSync(INVITE)) }),
      hep3(TRYING, { payloadChunk: hepChunk(16, deflateSync(TRYING)) }),
      hep3(RINGING, { payloadChunk: hepChunk(16, deflateRawSync(RINGING)) }),
    ]);
    expect(c.messages.map((m) => m.text)).toEqual([INVITE, TRYING, RINGING].map((b) => b.toString('latin1')));
    expect(c.warnings).toEqual([]);
  });

  it('other payload types (RTCP reports, logs) are skipped quietly; a broken chunk is reported', () => {
    const broken = hep3(INVITE);
    broken.writeUInt16BE(0xfff0, 6 + 4); // the first chunk's length runs past the packet
    const c = overUdp([hep3(Buffer.from('{"type":200,"ssrc":1}'), { payloadType: 5 }), broken]);
    expect(c.messages).toEqual([]);
    expect(c.warnings.map((w) => w.message)).toEqual(['UDP 198.51.100.7:40000 -> 198.51.100.9:9060: HEP3 chunk 1 has a bad length (65520)']);
  });

  it('undecodable compressed payloads are reported', () => {
    const c = overUdp([hep3(INVITE, { payloadChunk: hepChunk(16, Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3])) })]);
    expect(c.messages).toEqual([]);
    expect(c.warnings[0].message).toMatch(/^UDP 198\.51\.100\.7:40000 -> 198\.51\.100\.9:9060: HEP3 compressed payload could not be inflated/);
  });
});

describe('HEP v1 and v2 over UDP', () => {
  it('v2: endpoints from the header, time from the little-endian time header', () => {
    const c = overUdp([hep2(INVITE, 2)]);
    expect(c.messages.length).toBe(1);
    expect(c.messages[0].bytes.equals(INVITE)).toBe(true);
    expect(c.messages[0]).toMatchObject({
      srcIp: '10.1.1.1', srcPort: 5060, dstIp: '10.2.2.2', dstPort: 5080, transport: 'UDP',
      ts: { sec: HEP_SEC, nsec: HEP_USEC * 1000, digits: 6 },
    });
  });

  it('v2 from a big-endian sender, from a packed struct, and over IPv6', () => {
    const c = overUdp([hep2(TRYING, 2, { bigEndianTime: true }), hep2(RINGING, 2, { packed: true }), hep2(INVITE, 2, { v6: true })]);
    expect(c.messages.map((m) => [m.text.slice(0, 18), m.ts.sec, m.ts.nsec, m.srcIp])).toEqual([
      ['SIP/2.0 100 Trying', HEP_SEC, HEP_USEC * 1000, '10.1.1.1'],
      ['SIP/2.0 180 Ringin', HEP_SEC, HEP_USEC * 1000, '10.1.1.1'],
      [INVITE.toString('latin1').slice(0, 18), HEP_SEC, HEP_USEC * 1000, '2001:db8::a0a'],
    ]);
  });

  it('v1 has no time header: the packet time is kept', () => {
    const c = overUdp([hep2(INVITE, 1)]);
    expect(c.messages.map((m) => [m.srcIp, m.ts])).toEqual([['10.1.1.1', rawPacket(1).ts]]);
  });

  it('bytes that merely start with 2 are not HEP', () => {
    const notHep = Buffer.concat([Buffer.from([2, 16, 2, 17, 0, 1, 0, 2]), Buffer.alloc(20), Buffer.from('hello')]);
    const c = overUdp([notHep]);
    expect(c.messages).toEqual([]);
    expect(c.warnings).toEqual([]);
  });
});

describe('HEP3 over TCP', () => {
  it('a stream of HEP3 packets: two in one segment, one over two segments', () => {
    const a = hep3(INVITE);
    const b = hep3(TRYING);
    const c = hep3(RINGING, { protocol: 6 });
    const s = new TcpScript();
    s.handshake();
    const f1 = s.send('client', Buffer.concat([a, b, c.subarray(0, 30)]));
    const f2 = s.send('client', c.subarray(30));
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => [m.text.slice(0, 18), m.frame, m.indexInFrame, m.frames, m.transport, m.srcIp])).toEqual([
      [INVITE.toString('latin1').slice(0, 18), f1, 0, [f1], 'UDP', '10.1.1.1'],
      ['SIP/2.0 100 Trying', f1, 1, [f1], 'UDP', '10.1.1.1'],
      ['SIP/2.0 180 Ringin', f2, 0, [f1, f2], 'TCP', '10.1.1.1'],
    ]);
    expect(warnings).toEqual([]);
  });

  it('after a gap, decoding resumes at the next "HEP3"', () => {
    const s = new TcpScript();
    s.handshake();
    s.send('client', hep3(INVITE));
    const seq = s.clientSeq;
    const lost = hep3(RINGING);
    const f = s.raw('client', seq + 10, PSH | ACK, Buffer.concat([lost.subarray(10), hep3(TRYING)]));
    s.raw('server', s.serverSeq, ACK, Buffer.alloc(0), seq + lost.length + hep3(TRYING).length);
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => [m.text.slice(0, 18), m.frame])).toEqual([[INVITE.toString('latin1').slice(0, 18), 4], ['SIP/2.0 100 Trying', f]]);
    expect(warnings.map((w) => w.message)).toEqual([
      `TCP 192.0.2.10:5060 -> 192.0.2.20:5061: 10 bytes missing from the capture between frame 4 and frame ${f}; resynchronising at the next SIP message`,
      `TCP 192.0.2.10:5060 -> 192.0.2.20:5061: ${lost.length - 10} bytes that are not HEP skipped (from frame ${f}) before the stream was back in step`,
    ]);
  });

  it('picked up in the middle of a HEP3 packet: decoding starts at the next one', () => {
    const s = new TcpScript();
    const f = s.send('client', Buffer.concat([hep3(INVITE).subarray(40), hep3(TRYING)]));
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => [m.text.slice(0, 18), m.frame])).toEqual([['SIP/2.0 100 Trying', f]]);
    expect(warnings).toEqual([]);
  });
});
