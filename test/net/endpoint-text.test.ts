// EndpointTexts (the pipeline's "ip:port" for every message) gives formatEndpoint's text,
// whatever the mix of endpoints: the real ones of the corpus captures, and enough synthetic
// ones to collide in its table over and over.
import { describe, expect, it } from 'vitest';
import { EndpointTexts, formatEndpoint } from '../../src/timefmt.js';
import { join } from 'node:path';
import { CORPUS, decodeAll, readPcap } from './helpers.js';

describe('EndpointTexts', () => {
  it('writes the endpoints of the IPv4 and IPv6 corpus calls as formatEndpoint does', () => {
    const texts = new EndpointTexts();
    for (const name of ['call-basic-udp', 'call-basic-ipv6']) {
      const { datagrams } = decodeAll(readPcap(join(CORPUS, name, `${name}.pcap`)).packets);
      expect(datagrams.length).toBeGreaterThan(0);
      for (const d of datagrams) {
        expect(texts.text(d.src, d.srcPort!, d.version)).toBe(formatEndpoint(d.src, d.srcPort!, d.version));
        expect(texts.text(d.dst, d.dstPort!, d.version)).toBe(formatEndpoint(d.dst, d.dstPort!, d.version));
      }
    }
  });

  it('never answers with another endpoint that shares its slot', () => {
    const texts = new EndpointTexts();
    const endpoints: [string, number, 4 | 6][] = [];
    for (let i = 0; i < 1500; i++) {
      endpoints.push([`10.0.${i % 7}.${i % 251}`, 5060 + (i % 300), 4], [`2001:db8::${(i % 97).toString(16)}`, 5060 + (i % 300), 6]);
    }
    for (let round = 0; round < 3; round++) {
      for (const [ip, port, version] of endpoints) expect(texts.text(ip, port, version)).toBe(formatEndpoint(ip, port, version));
    }
  });
});
