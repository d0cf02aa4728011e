// SIP over SCTP (RFC 4168). The kernel here has no SCTP (socket(AF_INET, SOCK_STREAM,
// IPPROTO_SCTP) fails with EPROTONOSUPPORT), so `sipp -t s1` cannot run: the packets are built
// byte by byte around real corpus SIP messages, after RFC 9260 §3 (common header, DATA chunk)
// and RFC 8260 §2.1 (I-DATA chunk). The layouts were checked once by writing such packets to a
// pcap and reading them with tshark 4.0 (-o sctp.reassembly:TRUE), which decodes the SIP inside:
// single and bundled DATA chunks, DATA fragments across the TSN wrap, I-DATA fragments.
import { describe, expect, it } from 'vitest';
import { Collector, SERVER, CLIENT, corpusMessages, ipPacket, rawPacket, type Addresses } from './helpers.js';

const CALL = corpusMessages('call-basic-tcp');
const INVITE = CALL[0];
const TRYING = CALL[1];
const RINGING = CALL[2];
const OK = CALL[3];

const B = 0x02;
const E = 0x01;

/** Common header: ports 5060 -> 5060, verification tag, checksum 0 (not checked by the decoder). */
function sctpPacket(chunks: Buffer[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(5060, 0);
  header.writeUInt16BE(5060, 2);
  header.writeUInt32BE(0x1234abcd, 4);
  return Buffer.concat([header, ...chunks]);
}

/** A chunk: type, flags, length (without padding), value, then zero padding to 4 bytes. */
function chunk(type: number, flags: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header[0] = type;
  header[1] = flags;
  header.writeUInt16BE(4 + value.length, 2);
  const padding = Buffer.alloc((4 - (value.length % 4)) % 4);
  return Buffer.concat([header, value, padding]);
}

/** DATA (type 0): TSN, stream id, stream sequence number, PPID, user data. */
function data(flags: number, tsn: number, payload: Buffer, stream = 0, ppid = 0): Buffer {
  const v = Buffer.alloc(12);
  v.writeUInt32BE(tsn >>> 0, 0);
  v.writeUInt16BE(stream, 4);
  v.writeUInt16BE(0, 6);
  v.writeUInt32BE(ppid, 8);
  return chunk(0, flags, Buffer.concat([v, payload]));
}

/** I-DATA (type 64): TSN, stream id, reserved, message id, PPID (first fragment) or FSN, user data. */
function iData(flags: number, tsn: number, stream: number, mid: number, ppidOrFsn: number, payload: Buffer): Buffer {
  const v = Buffer.alloc(16);
  v.writeUInt32BE(tsn >>> 0, 0);
  v.writeUInt16BE(stream, 4);
  v.writeUInt32BE(mid, 8);
  v.writeUInt32BE(ppidOrFsn, 12);
  return chunk(64, flags, Buffer.concat([v, payload]));
}

/** SACK (type 3): cumulative TSN ack, a_rwnd, no gap blocks. */
function sack(tsn: number): Buffer {
  const v = Buffer.alloc(12);
  v.writeUInt32BE(tsn, 0);
  v.writeUInt32BE(65536, 4);
  return chunk(3, 0, v);
}

class Association {
  readonly collector = new Collector();
  private frame = 0;

  send(chunks: Buffer[], from: Addresses = CLIENT): number {
    const frame = ++this.frame;
    this.collector.decoder.handle(ipPacket(from, 132, sctpPacket(chunks), [frame]), rawPacket(frame));
    return frame;
  }

  finish() {
    this.collector.decoder.finish();
    return { messages: this.collector.messages, warnings: this.collector.warnings };
  }
}

describe('SIP over SCTP', () => {
  it('one DATA chunk, one message; any PPID', () => {
    const a = new Association();
    const f = a.send([data(B | E, 1, INVITE, 0, 0)]);
    a.send([data(B | E, 1000, TRYING, 1, 46 /* some other protocol's PPID */)], SERVER);
    const { messages, warnings } = a.finish();
    expect(messages.map((m) => m.text)).toEqual([INVITE, TRYING].map((b) => b.toString('latin1')));
    expect(messages[0]).toMatchObject({ frame: f, frames: [f], indexInFrame: 0, transport: 'SCTP', srcIp: '192.0.2.10', srcPort: 5060 });
    expect(warnings).toEqual([]);
  });

  it('bundled chunks: a SACK and three DATA chunks (unpadded lengths) give three messages in one frame', () => {
    expect([TRYING.length % 4, RINGING.length % 4, OK.length % 4]).not.toEqual([0, 0, 0]);
    const a = new Association();
    const f = a.send([sack(7), data(B | E, 100, TRYING), data(B | E, 101, RINGING, 2), data(B | E, 102, OK)], SERVER);
    const { messages } = a.finish();
    expect(messages.map((m) => [m.text, m.frame, m.indexInFrame])).toEqual([
      [TRYING.toString('latin1'), f, 0],
      [RINGING.toString('latin1'), f, 1],
      [OK.toString('latin1'), f, 2],
    ]);
  });

  it('a fragmented user message (B, middle, E by consecutive TSNs), arriving out of order and across the TSN wrap', () => {
    const a = new Association();
    const f1 = a.send([data(E, 1, INVITE.subarray(600))]);
    const f2 = a.send([data(B, 0xffffffff, INVITE.subarray(0, 300))]);
    expect(a.collector.messages).toEqual([]);
    const f3 = a.send([data(0, 0, INVITE.subarray(300, 600))]);
    const { messages, warnings } = a.finish();
    expect(messages.map((m) => m.text)).toEqual([INVITE.toString('latin1')]);
    expect(messages[0]).toMatchObject({ frame: f3, frames: [f1, f2, f3] });
    expect(warnings).toEqual([]);
  });

  it('a retransmitted DATA chunk (same TSN) is not decoded twice', () => {
    const a = new Association();
    a.send([data(B | E, 5, INVITE)]);
    a.send([data(B | E, 5, INVITE)]);
    a.send([data(B, 6, TRYING.subarray(0, 40))], SERVER);
    a.send([data(B, 6, TRYING.subarray(0, 40))], SERVER);
    a.send([data(E, 7, TRYING.subarray(40))], SERVER);
    const { messages } = a.finish();
    expect(messages.map((m) => m.text)).toEqual([INVITE, TRYING].map((b) => b.toString('latin1')));
  });

  it('I-DATA: fragments of two messages interleaved on two streams, put together by message id and FSN', () => {
    const a = new Association();
    const f1 = a.send([iData(B, 10, 1, 7, 0 /* PPID */, INVITE.subarray(0, 200)), iData(B, 11, 2, 3, 0, OK.subarray(0, 100))]);
    const f2 = a.send([iData(E, 14, 2, 3, 2, OK.subarray(400)), iData(0, 12, 1, 7, 1, INVITE.subarray(200, 500))]);
    const f3 = a.send([iData(0, 13, 2, 3, 1, OK.subarray(100, 400)), iData(E, 15, 1, 7, 2, INVITE.subarray(500))]);
    a.send([iData(B | E, 16, 1, 8, 0, TRYING)]);
    const { messages, warnings } = a.finish();
    expect(messages.map((m) => [m.text.slice(0, 16), m.frame, m.indexInFrame, m.frames])).toEqual([
      ['SIP/2.0 200 OK\r\n', f3, 0, [f1, f2, f3]],
      ['INVITE sip:bob@1', f3, 1, [f1, f2, f3]],
      ['SIP/2.0 100 Tryi', 4, 0, [4]],
    ]);
    expect(messages[0].bytes.equals(OK)).toBe(true);
    expect(messages[1].bytes.equals(INVITE)).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('user messages that are not SIP are ignored; fragments left at the end are reported', () => {
    const a = new Association();
    a.send([data(B | E, 1, Buffer.from([1, 0, 0, 20, 0x80, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]), 0, 46)]);
    a.send([data(B, 2, INVITE.subarray(0, 100))]);
    const { messages, warnings } = a.finish();
    expect(messages).toEqual([]);
    expect(warnings.map((w) => w.message)).toEqual([
      'SCTP 192.0.2.10:5060 -> 192.0.2.20:5060: fragments of incomplete messages left at the end (100 bytes)',
    ]);
  });

  it('a chunk whose length runs past the packet is reported; chunks before it are decoded', () => {
    const a = new Association();
    const bad = Buffer.from([0, 3, 0xff, 0xf0, 0, 0, 0, 0]);
    const f = a.send([data(B | E, 1, INVITE), bad]);
    const { messages, warnings } = a.finish();
    expect(messages.length).toBe(1);
    expect(warnings).toEqual([{ offset: f * 100, packet: f, message: 'SCTP 192.0.2.10:5060 -> 192.0.2.20:5060: chunk of type 0 with a bad length (65520)' }]);
  });

  it('SCTP over IPv6', () => {
    const a = new Collector();
    const v6 = { src: '2001:db8::1', dst: '2001:db8::2', version: 6 as const };
    a.decoder.handle(ipPacket(v6, 132, sctpPacket([data(B | E, 1, INVITE)]), [1]), rawPacket(1));
    expect(a.messages.map((m) => [m.ipVersion, m.srcIp, m.dstIp, m.transport])).toEqual([[6, '2001:db8::1', '2001:db8::2', 'SCTP']]);
  });
});
