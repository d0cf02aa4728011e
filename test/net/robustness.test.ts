// The decoder never throws, whatever the bytes: headers cut at every length, random bytes under
// every link type, hostile nesting; and it reports only what a user should know.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecodeWarning, RawPacket } from '../../src/model.js';
import { NetworkDecoder } from '../../src/net/index.js';
import { CORPUS, decodeAll, FIXTURES, ipv4Packet, readPcap, withData } from './helpers.js';

const fixturePackets: RawPacket[] = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.pcap'))
  .flatMap((name) => readPcap(join(FIXTURES, name)).packets);
const corpusSample = ['call-basic-udp', 'call-basic-udp-sll', 'call-basic-ipv6', 'call-basic-tcp', 'udp-ip-fragmented'].flatMap(
  (name) => readPcap(join(CORPUS, name, `${name}.pcap`)).packets,
);
/** A single-packet SIP 100 Trying over IPv4 (10.77.0.2 -> 10.77.0.1), without its Ethernet header. */
const sipIpv4 = Buffer.from(readPcap(join(CORPUS, 'udp-ip-fragmented', 'udp-ip-fragmented.pcap')).packets[11]!.data.subarray(14));
const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276];

function packet(linkType: number, data: Buffer, extra: Partial<RawPacket> = {}): RawPacket {
  return { frame: 1, ts: { sec: 1795532900, nsec: 0, digits: 6 }, linkType, data, origLength: data.length, truncated: false, fileOffset: 24, interfaceIndex: 0, ...extra };
}
function ethernet(etherType: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(14);
  header.writeUInt16BE(etherType, 12);
  return Buffer.concat([header, payload]);
}

describe('never throws', () => {
  it('on every capture packet cut at each of its first 80 bytes (and 200 more), snap-length cut or not', () => {
    const decoder = new NetworkDecoder(() => {}, { maxFragmentBytes: 1 << 20 });
    let decoded = 0;
    for (const original of [...fixturePackets, ...corpusSample]) {
      for (let length = 0; length <= Math.min(280, original.data.length); length++) {
        for (const truncated of [false, true]) {
          decoder.decode({ ...original, data: original.data.subarray(0, length), truncated }, () => {});
          decoded++;
        }
      }
    }
    decoder.finish();
    expect(decoded).toBeGreaterThan(20_000);
  });

  it('on random bytes under every link type', () => {
    const decoder = new NetworkDecoder(() => {});
    fc.assert(
      fc.property(fc.constantFrom(...LINK_TYPES), fc.uint8Array({ maxLength: 200 }), (linkType, bytes) => {
        decoder.decode(packet(linkType, Buffer.from(bytes)), () => {});
      }),
      { numRuns: 3000 },
    );
    decoder.finish();
  });

  it('on capture packets with random bytes overwritten', () => {
    const decoder = new NetworkDecoder(() => {});
    fc.assert(
      fc.property(
        fc.constantFrom(...fixturePackets),
        fc.array(fc.tuple(fc.nat(120), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (original, edits) => {
          const data = Buffer.from(original.data);
          for (const [at, value] of edits) if (at < data.length) data[at] = value;
          decoder.decode({ ...original, data }, (ip) => {
            expect(ip.payload.length).toBeLessThanOrEqual(65535);
          });
        },
      ),
      { numRuns: 3000 },
    );
    decoder.finish();
  });
});

describe('hostile nesting is bounded by maxEncapsulationDepth', () => {
  function nestedIpInIp(levels: number): Buffer {
    let datagram: Buffer = sipIpv4;
    for (let i = 0; i < levels; i++) datagram = ipv4Packet(4, datagram);
    return ethernet(0x0800, datagram);
  }

  it('8 levels of IP in IP decode; 9 and 2000 are skipped with one warning each', () => {
    expect(decodeAll([packet(1, nestedIpInIp(8))]).datagrams.map((d) => d.src)).toEqual(['10.77.0.2']);
    for (const levels of [9, 2000]) {
      const { datagrams, warnings } = decodeAll([packet(1, nestedIpInIp(levels))]);
      expect(datagrams).toEqual([]);
      expect(warnings).toEqual([{ offset: 24, packet: 1, message: 'Frame 1: more than 8 levels of encapsulation (VLAN tags, MPLS, tunnels): packet skipped' }]);
    }
  });

  it('stacked VLAN tags count as levels, and the bound is an option', () => {
    const tags = (count: number) => {
      const parts = Array.from({ length: count }, () => Buffer.from([0x00, 0x64, 0x81, 0x00]));
      parts[count - 1] = Buffer.from([0x00, 0x64, 0x08, 0x00]);
      return ethernet(0x8100, Buffer.concat([...parts, sipIpv4]));
    };
    expect(decodeAll([packet(1, tags(2))], { maxEncapsulationDepth: 2 }).datagrams).toHaveLength(1);
    expect(decodeAll([packet(1, tags(3))], { maxEncapsulationDepth: 2 }).warnings[0]!.message).toContain('more than 2 levels');
    expect(decodeAll([packet(1, tags(5000))]).warnings).toHaveLength(1);
  });

  it('GRE in GRE without end stops at the bound', () => {
    let datagram: Buffer = sipIpv4;
    for (let i = 0; i < 500; i++) datagram = ipv4Packet(47, Buffer.concat([Buffer.from([0, 0, 0x08, 0x00]), datagram]));
    const { datagrams, warnings } = decodeAll([packet(1, ethernet(0x0800, datagram))]);
    expect(datagrams).toEqual([]);
    expect(warnings).toHaveLength(1);
  });
});

describe('what is reported, and what is not', () => {
  it('non-IP frames (ARP, IPv6-less LLDP...) are counted, silently', () => {
    const lldp = packet(1, ethernet(0x88cc, Buffer.alloc(40)));
    const arp = packet(1, ethernet(0x0806, Buffer.alloc(28)));
    const { datagrams, warnings, decoder } = decodeAll([lldp, arp, arp]);
    expect(datagrams).toEqual([]);
    expect(warnings).toEqual([]);
    expect(decoder.stats.nonIp).toBe(3);
  });

  it('unknown link types are counted and reported once each at finish, not per packet', () => {
    const warnings: DecodeWarning[] = [];
    const decoder = new NetworkDecoder((w) => warnings.push(w));
    for (const linkType of [105, 105, 127, 105]) decoder.decode(packet(linkType, Buffer.alloc(60)), () => {});
    expect(warnings).toEqual([]);
    expect(decoder.stats.unknownLinkTypes).toEqual(new Map([[105, 3], [127, 1]]));
    decoder.finish();
    expect(warnings.map((w) => w.message)).toEqual(['Link type 105 is not supported: 3 packets skipped', 'Link type 127 is not supported: 1 packet skipped']);
  });

  it('packets cut by the snapshot length: the first is reported, the rest counted in finish', () => {
    const cut = (frame: number) => packet(1, ethernet(0x0800, sipIpv4.subarray(0, 60)), { frame, truncated: true, origLength: 14 + sipIpv4.length });
    const { datagrams, warnings } = decodeAll([cut(1), cut(2), cut(3)]);
    expect(datagrams).toEqual([]);
    expect(warnings.map((w) => w.packet)).toEqual([1, null]);
    expect(warnings[0]!.message).toBe(`Frame 1: IPv4 datagram needs ${sipIpv4.length} bytes but the capture's snapshot length kept 60: packet skipped (later packets cut like this are only counted)`);
    expect(warnings[1]!.message).toBe("3 packets cut short by the capture's snapshot length were skipped in all");
  });

  it('a datagram longer than its frame, not cut by the snapshot length, is malformed: reported each time', () => {
    const short = (frame: number) => packet(1, ethernet(0x0800, sipIpv4.subarray(0, 60)), { frame, fileOffset: 100 * frame });
    const { warnings } = decodeAll([short(1), short(2)]);
    expect(warnings).toEqual([
      { offset: 100, packet: 1, message: `Frame 1: IPv4 datagram needs ${sipIpv4.length} bytes, only 60 present: packet skipped` },
      { offset: 200, packet: 2, message: `Frame 2: IPv4 datagram needs ${sipIpv4.length} bytes, only 60 present: packet skipped` },
    ]);
  });

  it('a wrong IP version and a too-short header length are reported', () => {
    const badVersion = Buffer.from(sipIpv4);
    badVersion[0] = 0x55;
    const badLength = Buffer.from(sipIpv4);
    badLength[0] = 0x44;
    const { warnings } = decodeAll([packet(1, ethernet(0x0800, badVersion)), packet(1, ethernet(0x0800, badLength))]);
    expect(warnings.map((w) => w.message)).toEqual(['Frame 1: IPv4 header says version 5: packet skipped', 'Frame 1: IPv4 header length 16 is below 20: packet skipped']);
  });

  it('IPv4 total length 0 (captured before segmentation offload filled it in) uses the captured length', () => {
    const tso = Buffer.from(sipIpv4);
    tso.writeUInt16BE(0, 2);
    const { datagrams } = decodeAll([packet(1, ethernet(0x0800, tso))]);
    expect(datagrams[0]!.payload).toEqual(sipIpv4.subarray(20));
  });

  it('SIP sent to UDP port 4789 is not taken for VXLAN', () => {
    const udp = Buffer.from(sipIpv4);
    udp.writeUInt16BE(4789, 20 + 2);
    const { datagrams } = decodeAll([packet(1, ethernet(0x0800, udp))]);
    expect(datagrams.map((d) => [d.src, d.dst, d.dstPort])).toEqual([['10.77.0.2', '10.77.0.1', 4789]]);
  });

  it('emits the datagram as a view into the packet, valid during emit', () => {
    const data = ethernet(0x0800, sipIpv4);
    const decoder = new NetworkDecoder(() => {});
    let view: Buffer | null = null;
    decoder.decode(packet(1, data), (ip) => {
      view = ip.payload;
    });
    expect(view!.buffer).toBe(data.buffer);
    expect(view!.byteOffset).toBe(data.byteOffset + 14 + 20);
  });

  it('unchanged packets with a new frame number yield equal datagrams (no state leaks between packets)', () => {
    const data = ethernet(0x0800, sipIpv4);
    const { datagrams } = decodeAll([packet(1, data), withData(packet(1, data), data, 2)]);
    expect(datagrams.map((d) => d.frames)).toEqual([[1], [2]]);
    expect(datagrams[0]!.payload).toEqual(datagrams[1]!.payload);
  });
});
