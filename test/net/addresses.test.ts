// Address text must be tshark's: the IPv6 forms are checked against what tshark printed for the
// addresses in test/fixtures/net/ipv6-addresses.pcap (ipv6-addresses.tshark.txt, by make-built.mjs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIpv6, Ipv4TextCache } from '../../src/net/addresses.js';
import { decodeAll, FIXTURES, readPcap } from './helpers.js';

describe('IPv6 address text', () => {
  const expected = readFileSync(join(FIXTURES, 'ipv6-addresses.tshark.txt'), 'utf8').trim().split('\n');
  const { packets } = readPcap(join(FIXTURES, 'ipv6-addresses.pcap'));

  it('formatIpv6 writes what tshark printed, address by address', () => {
    expect(packets.map((p) => formatIpv6(p.data, 8))).toEqual(expected);
  });

  it('the decoder emits those texts as src and dst', () => {
    const { datagrams } = decodeAll(packets);
    expect(datagrams.map((d) => d.src)).toEqual(expected);
    expect(datagrams.map((d) => d.dst)).toEqual(expected);
    // No Next Header (59) ends the walk: the datagram is emitted with protocol 59, empty.
    expect(datagrams.every((d) => d.protocol === 59 && d.payload.length === 0)).toBe(true);
  });

  it('covers compression choices, embedded IPv4 and lowercase', () => {
    expect(expected).toEqual(expect.arrayContaining(['::', '::1', 'fe80::1', '2001:db8::1:0:0:1', '::ffff:1.2.3.4', '::1.2.3.4', '1:0:0:2::3']));
  });
});

describe('IPv4 address text', () => {
  it('is the dotted quad, the same string for the same address', () => {
    const cache = new Ipv4TextCache();
    const buf = Buffer.from([0, 10, 77, 0, 1, 255, 255, 255, 255]);
    expect(cache.format(buf, 1)).toBe('10.77.0.1');
    expect(cache.format(buf, 5)).toBe('255.255.255.255');
    expect(cache.format(Buffer.from([10, 77, 0, 1]), 0)).toBe('10.77.0.1');
  });

  it('stays correct past the cache size', () => {
    const cache = new Ipv4TextCache();
    const buf = Buffer.alloc(4);
    for (let i = 0; i < 10_000; i += 7) {
      buf.writeUInt32BE(0x0a000000 + i);
      expect(cache.format(buf, 0)).toBe(`10.0.${i >> 8}.${i & 255}`);
    }
  });
});
