// Every corpus capture decodes to IP datagrams whose UDP/TCP endpoints are those tshark saw for
// each SIP message (messages.json), in the frame where tshark completed the message.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, type Datagram, decodeAll, endpoint, readPcap } from './helpers.js';

interface CorpusMessage {
  msg: number;
  frame: number;
  src: string;
  dst: string;
  ip_version: 4 | 6;
  transport: string;
  reassembled_from_frames?: number[];
}

const captures = readdirSync(CORPUS).filter((name) => statSync(join(CORPUS, name)).isDirectory() && name !== 'gen');

describe('corpus captures', () => {
  it('holds the captures the issue names', () => {
    expect(captures).toEqual(expect.arrayContaining(['call-basic-udp-sll', 'call-basic-ipv6', 'udp-ip-fragmented']));
    expect(captures.length).toBeGreaterThanOrEqual(22);
  });

  for (const name of captures) {
    it(`${name}: every SIP message's frame yields a datagram with tshark's endpoints`, () => {
      const truth = JSON.parse(readFileSync(join(CORPUS, name, 'messages.json'), 'utf8')) as { messages: CorpusMessage[] };
      const { packets } = readPcap(join(CORPUS, name, `${name}.pcap`));
      const { datagrams, warnings, decoder } = decodeAll(packets);
      const byFrame = new Map<number, Datagram[]>();
      for (const d of datagrams) byFrame.set(d.emittedAt, [...(byFrame.get(d.emittedAt) ?? []), d]);

      expect(warnings).toEqual([]);
      expect(decoder.stats.unknownLinkTypes.size).toBe(0);
      expect(decoder.stats.fragmentsExpired).toBe(0);
      for (const message of truth.messages) {
        const protocol = message.transport === 'UDP' ? 17 : 6;
        const inFrame = (byFrame.get(message.frame) ?? []).filter((d) => d.protocol === protocol);
        const endpoints = inFrame.map((d) => `${endpoint(d.version, d.src, d.srcPort)} > ${endpoint(d.version, d.dst, d.dstPort)}`);
        expect(endpoints, `message ${message.msg} in frame ${message.frame}`).toContain(`${message.src} > ${message.dst}`);
        expect(inFrame.every((d) => d.version === message.ip_version)).toBe(true);
        if (message.transport === 'UDP' && message.reassembled_from_frames) {
          expect(inFrame[0]!.frames).toEqual(message.reassembled_from_frames);
        }
      }
    });
  }

  it('call-basic-udp-sll (Linux cooked v1) gives the same datagrams as call-basic-udp over Ethernet would: IPv4 UDP on loopback', () => {
    const { linkType, packets } = readPcap(join(CORPUS, 'call-basic-udp-sll', 'call-basic-udp-sll.pcap'));
    expect(linkType).toBe(113);
    const { datagrams } = decodeAll(packets);
    expect(datagrams.length).toBe(packets.length);
    for (const d of datagrams) {
      expect(d).toMatchObject({ version: 4, src: '127.0.0.1', dst: '127.0.0.1', protocol: 17 });
      // UDP length field = the whole payload: nothing of the cooked header leaked in, nothing cut.
      expect(d.payload.readUInt16BE(4)).toBe(d.payload.length);
      expect(d.payload.subarray(8, 11).toString('latin1')).toMatch(/^(SIP|[A-Z]{3})/);
    }
  });

  it('call-basic-ipv6 gives IPv6 datagrams with "::1" as both addresses', () => {
    const { packets } = readPcap(join(CORPUS, 'call-basic-ipv6', 'call-basic-ipv6.pcap'));
    const { datagrams } = decodeAll(packets);
    expect(datagrams.map((d) => `${d.version} ${d.src} ${d.dst} ${d.protocol}`)).toEqual(new Array(packets.length).fill('6 ::1 ::1 17'));
  });

  it('udp-ip-fragmented: the 5- and 4-fragment datagrams are reassembled in the frame that completes them', () => {
    const { packets } = readPcap(join(CORPUS, 'udp-ip-fragmented', 'udp-ip-fragmented.pcap'));
    const { datagrams } = decodeAll(packets);
    const reassembled = datagrams.filter((d) => d.frames.length > 1);
    expect(reassembled.map((d) => d.frames)).toEqual([[7, 8, 9, 10, 11], [14, 15, 16, 17]]);
    // The UDP length covers the whole reassembled payload, which ends the SIP body.
    for (const d of reassembled) expect(d.payload.readUInt16BE(4)).toBe(d.payload.length);
    expect(reassembled[0]!.payload.length).toBe(6062);
    expect(reassembled[0]!.payload.subarray(8, 14).toString('latin1')).toBe('INVITE');
  });
});
