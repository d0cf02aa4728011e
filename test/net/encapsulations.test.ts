// Link layers and tunnels the corpus lacks, on captures from test/fixtures/net (README there says
// how each was made): for every SIP datagram tshark decodes, the decoder emits the innermost IP
// datagram with tshark's addresses, ports and (for fragments) frames.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, decodeAll, findDatagram, FIXTURES, ipv4Packet, readOracle, readPcap } from './helpers.js';

function decodeFixture(name: string) {
  const capture = readPcap(join(FIXTURES, `${name}.pcap`));
  return { ...capture, ...decodeAll(capture.packets), oracle: readOracle(name) };
}

/** Checks every row of tshark's view against the emitted datagrams; returns the datagrams matched. */
function expectOracleMatched(name: string) {
  const { datagrams, oracle, warnings, linkType, decoder } = decodeFixture(name);
  expect(oracle.length).toBeGreaterThan(0);
  const matched = oracle.map((row) => {
    const datagram = findDatagram(datagrams, row.frame, row.srcPort, row.dstPort);
    expect(datagram, `${name} frame ${row.frame} (${row.cseq})`).toBeDefined();
    expect({ version: datagram!.version, src: datagram!.src, dst: datagram!.dst, protocol: datagram!.protocol }).toEqual({
      version: row.version,
      src: row.src,
      dst: row.dst,
      protocol: 17,
    });
    expect(datagram!.frames).toEqual(row.fragments.length > 0 ? row.fragments : [row.frame]);
    // The UDP length field matches the payload: the datagram was cut at its IP length, no more, no less.
    expect(datagram!.payload.readUInt16BE(4)).toBe(datagram!.payload.length);
    return datagram!;
  });
  return { matched, datagrams, warnings, linkType, decoder, oracle };
}

describe('link layers', () => {
  it('Linux cooked v2 (SLL2, link type 276) from tshark -i any -y LINUX_SLL2', () => {
    const { linkType, matched, warnings, datagrams } = expectOracleMatched('sll2');
    expect(linkType).toBe(276);
    expect(matched.length).toBe(6);
    expect(datagrams.length).toBe(6);
    expect(warnings).toEqual([]);
  });

  it('BSD NULL (link type 0) written on a little-endian host: AF_INET 2 and AF_INET6 24, 28, 30', () => {
    const { linkType, matched, warnings } = expectOracleMatched('null-little-endian');
    expect(linkType).toBe(0);
    expect(matched.map((d) => d.version)).toEqual([4, 6, 6, 6, 4]);
    expect(warnings).toEqual([]);
  });

  it('BSD NULL written on a big-endian host', () => {
    const { matched } = expectOracleMatched('null-big-endian');
    expect(matched.map((d) => d.version)).toEqual([4, 6, 6]);
  });

  it('OpenBSD LOOP (link type 108), family in network order', () => {
    const { linkType, matched } = expectOracleMatched('loop');
    expect(linkType).toBe(108);
    expect(matched.map((d) => d.version)).toEqual([4, 6, 4]);
  });

  it('raw IP (101) with both versions, IPv4 (228) and IPv6 (229)', () => {
    expect(expectOracleMatched('raw-ip').matched.map((d) => d.version)).toEqual([4, 6, 4, 6]);
    expect(expectOracleMatched('raw-ipv4').matched.map((d) => d.version)).toEqual([4, 4, 4]);
    expect(expectOracleMatched('raw-ipv6').matched.map((d) => d.version)).toEqual([6, 6, 6, 6]);
  });

  it('raw IP under the BSD numbers 12 and 14 reads as 101 does', () => {
    const { packets } = readPcap(join(FIXTURES, 'raw-ip.pcap'));
    const reference = decodeAll(packets).datagrams;
    for (const linkType of [12, 14]) {
      const { datagrams } = decodeAll(packets.map((p) => ({ ...p, linkType })));
      expect(datagrams).toEqual(reference);
    }
  });
});

describe('Ethernet encapsulations (built byte by byte around corpus SIP datagrams)', () => {
  const { matched, datagrams, warnings, oracle } = expectOracleMatched('ethernet-encapsulations');

  it('decodes every frame tshark decodes, and nothing else', () => {
    expect(warnings).toEqual([]);
    expect(datagrams.length).toBe(oracle.length);
    expect(matched.length).toBe(21);
  });

  const byFrame = (frame: number) => matched[oracle.findIndex((row) => row.frame === frame)]!;
  it.each([
    [1, '802.1Q tag', '10.77.0.2', '10.77.0.1'],
    [2, 'QinQ: 802.1ad + 802.1Q tags, IPv6 inside', '2001:db8:0:1::a', '2001:db8::1:0:0:b'],
    [3, '0x9100 + 802.1Q tags', '10.77.0.2', '10.77.0.1'],
    [4, 'three stacked tags', '10.77.0.1', '10.77.0.2'],
    [5, 'MPLS stack of three labels', '10.77.0.1', '10.77.0.2'],
    [6, 'MPLS IPv6 explicit null', '2001:db8::1:0:0:b', '2001:db8:0:1::a'],
    [7, 'GRE without options', '10.77.0.2', '10.77.0.1'],
    [8, 'GRE with checksum, key and sequence number, IPv6 inside IPv4', '2001:db8::1:0:0:b', '2001:db8:0:1::a'],
    [9, 'GRE transparent Ethernet bridging (gretap)', '10.77.0.2', '10.77.0.1'],
    [10, 'ERSPAN type I (no header, GRE without sequence number), VLAN-tagged frame', '10.77.0.2', '10.77.0.1'],
    [11, 'ERSPAN type II', '10.77.0.1', '10.77.0.2'],
    [12, 'ERSPAN type III, IPv6 frame', '2001:db8:0:1::a', '2001:db8::1:0:0:b'],
    [13, 'ERSPAN type III with the platform-specific subheader', '10.77.0.1', '10.77.0.2'],
    [14, 'IP in IP (protocol 4)', '10.77.0.2', '10.77.0.1'],
    [15, '6in4 (protocol 41)', '2001:db8:0:1::a', '2001:db8::1:0:0:b'],
    [16, 'IPv4 in IPv6', '10.77.0.2', '10.77.0.1'],
    [17, 'GRE over IPv6', '10.77.0.2', '10.77.0.1'],
    [18, 'MPLS over GRE', '10.77.0.1', '10.77.0.2'],
    [19, 'IPv4 with options, Ethernet padding trimmed', '10.77.0.2', '10.77.0.1'],
    [20, 'IPv6 with an AH header', '2001:db8::1:0:0:b', '2001:db8:0:1::a'],
  ])('frame %i: %s gives the innermost header', (frame, _what, src, dst) => {
    expect(byFrame(frame)).toMatchObject({ src, dst, frames: [frame] });
  });

  it('frame 22: GRE inside a fragmented outer IPv4 datagram is reassembled first (frames 21, 22)', () => {
    expect(byFrame(22)).toMatchObject({ src: '10.77.0.1', dst: '10.77.0.2', frames: [21, 22] });
  });
});

describe('real tunnel and extension-header captures (network namespaces)', () => {
  it('VXLAN (UDP 4789, VNI 42): the overlay datagrams, not the underlay ones', () => {
    const { matched, datagrams } = expectOracleMatched('vxlan');
    expect(matched.length).toBe(6);
    expect(matched.every((d) => d.src.startsWith('192.0.2.') && d.dst.startsWith('192.0.2.'))).toBe(true);
    // Nothing emitted with the underlay addresses: every VXLAN packet was opened.
    expect(datagrams.some((d) => d.src.startsWith('10.66.0.'))).toBe(false);
  });

  it('IPv6 hop-by-hop, destination options, SRv6 routing and fragment headers, and IPv6-in-IPv6', () => {
    const { matched, warnings, decoder } = expectOracleMatched('ipv6-ext');
    expect(warnings).toEqual([]);
    expect(decoder.stats.fragmentsExpired).toBe(0);
    expect(matched.map((d) => d.frames.length)).toEqual([1, 5, 5, 1, 6, 6, 1, 6, 6]);
    // SRv6 inline: the routing header's segments do not change the header's destination (tshark's ipv6.dst).
    expect(matched[3]!.dst).toBe('fd66::2');
    // SRv6 encap: the inner IPv6 header is the one emitted.
    expect(matched.slice(6).map((d) => d.dst)).toEqual(['fd68::2', 'fd68::2', 'fd68::2']);
    // The fragmented INVITE is whole again: 6062 bytes of UDP, as in the IPv4 corpus capture.
    expect(matched[1]!.payload.length).toBe(6062);
  });
});

describe('GRE corner cases (built in the test around the 100 Trying of udp-ip-fragmented)', () => {
  const trying = readPcap(join(CORPUS, 'udp-ip-fragmented', 'udp-ip-fragmented.pcap')).packets[11]!;
  const sipIpv4 = trying.data.subarray(14);
  const overEthernet = (ipDatagram: Buffer) => ({ ...trying, data: Buffer.concat([trying.data.subarray(0, 14), ipDatagram]) });

  it('ERSPAN type III with frame type 2 carries an IP packet without Ethernet header', () => {
    const gre = Buffer.from([0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 1]); // S bit, sequence 1
    const erspan = Buffer.alloc(12);
    erspan[0] = 0x20; // version 2
    erspan[10] = 2 << 2; // FT 2: IP
    const { datagrams } = decodeAll([overEthernet(ipv4Packet(47, Buffer.concat([gre, erspan, sipIpv4])))]);
    expect(datagrams.map((d) => [d.src, d.dst, d.srcPort])).toEqual([['10.77.0.2', '10.77.0.1', 15510]]);
  });

  it('GRE version 1 (PPTP) is not opened: the outer datagram is the innermost one understood', () => {
    const pptp = Buffer.from([0x30, 0x01, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 1]);
    const { datagrams, warnings } = decodeAll([overEthernet(ipv4Packet(47, Buffer.concat([pptp, Buffer.alloc(20)])))]);
    expect(warnings).toEqual([]);
    expect(datagrams.map((d) => [d.src, d.protocol])).toEqual([['198.51.100.1', 47]]);
  });
});
