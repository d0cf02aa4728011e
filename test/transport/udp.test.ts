// SIP over UDP: one datagram, one message, recognised by content on any port.
import { describe, expect, it } from 'vitest';
import { CLIENT, Collector, corpusMessages, ipPacket, rawPacket, udp } from './helpers.js';

const INVITE = corpusMessages('call-basic-udp')[0];

/** A STUN Binding Request (RFC 8489 §5): type 0x0001, length 0, magic cookie 0x2112A442, transaction id. */
const STUN = Buffer.from('000100002112a442b7e7a701bc34d686fa87dfae', 'hex');

describe('SIP over UDP', () => {
  it('a datagram holding SIP is one message, on any port; frames are the datagram\'s fragments', () => {
    const c = new Collector();
    c.decoder.handle(ipPacket(CLIENT, 17, udp(40000, 16062, INVITE), [3, 4, 7]), rawPacket(7));
    expect(c.messages.length).toBe(1);
    expect(c.messages[0].bytes.equals(INVITE)).toBe(true);
    expect(c.messages[0]).toMatchObject({ frame: 7, frames: [3, 4, 7], indexInFrame: 0, transport: 'UDP', srcPort: 40000, dstPort: 16062, ts: rawPacket(7).ts });
  });

  it('CRLF keep-alives, STUN, RTP-like and empty datagrams are skipped without a word', () => {
    const c = new Collector();
    const rtp = Buffer.concat([Buffer.from([0x80, 0x00, 0x12, 0x34]), Buffer.alloc(168, 0xd5)]);
    [Buffer.from('\r\n\r\n'), Buffer.from('\r\n'), STUN, rtp, Buffer.alloc(0)].forEach((p, i) =>
      c.decoder.handle(ipPacket(CLIENT, 17, udp(5060, 5060, p), [i + 1]), rawPacket(i + 1)));
    c.decoder.finish();
    expect(c.messages).toEqual([]);
    expect(c.warnings).toEqual([]);
  });

  it('leading CRLFs before the start line are not part of the message; bytes past the UDP length are not either', () => {
    const c = new Collector();
    const datagram = udp(5060, 5060, Buffer.concat([Buffer.from('\r\n'), INVITE]));
    c.decoder.handle(ipPacket(CLIENT, 17, Buffer.concat([datagram, Buffer.alloc(6)]), [1]), rawPacket(1));
    expect(c.messages.map((m) => m.bytes.equals(INVITE))).toEqual([true]);
  });

  it('a UDP header cut short, a TCP header with a bad data offset and unknown protocols are ignored', () => {
    const c = new Collector();
    c.decoder.handle(ipPacket(CLIENT, 17, Buffer.alloc(5), [1]), rawPacket(1));
    const badTcp = Buffer.alloc(40);
    badTcp[12] = 0xf0; // 60-byte header in a 40-byte segment
    c.decoder.handle(ipPacket(CLIENT, 6, badTcp, [2]), rawPacket(2));
    c.decoder.handle(ipPacket(CLIENT, 47, INVITE, [3]), rawPacket(3));
    c.decoder.finish();
    expect(c.messages).toEqual([]);
    expect(c.warnings).toEqual([]);
  });
});
