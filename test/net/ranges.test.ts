// decodeRange, the pipeline's way in (the packet's bytes as a range of the reader's buffer, each
// datagram handed over as a range too), against decode: the same datagrams, warnings and stats
// for every capture of the corpus and of the fixtures (link layers, tunnels, fragments).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DecodeWarning, IpVersion, RawPacket } from '../../src/model.js';
import { NetworkDecoder } from '../../src/net/index.js';
import { CORPUS, decodeAll, FIXTURES, readPcap } from './helpers.js';

const captures = [
  ...readdirSync(CORPUS).filter((name) => statSync(join(CORPUS, name)).isDirectory() && name !== 'gen').map((name) => join(CORPUS, name, `${name}.pcap`)),
  ...readdirSync(FIXTURES).filter((name) => name.endsWith('.pcap')).map((name) => join(FIXTURES, name)),
];

/** Each packet's bytes at an offset inside a larger buffer, with other bytes around them. */
function inChunk(packets: RawPacket[]): { chunk: Buffer; starts: number[] } {
  const starts: number[] = [];
  const parts: Buffer[] = [];
  let at = 0;
  for (const p of packets) {
    parts.push(Buffer.alloc(7, 0xa5), p.data);
    starts.push(at + 7);
    at += 7 + p.data.length;
  }
  parts.push(Buffer.alloc(7, 0xa5));
  return { chunk: Buffer.concat(parts), starts };
}

/** A datagram as one line (comparing strings is much faster than comparing objects with Buffers). */
function text(version: IpVersion, src: string, dst: string, protocol: number, payload: Buffer, frames: number[]): string {
  return `${version} ${src} ${dst} ${protocol} ${frames.join(',')} ${payload.toString('hex')}`;
}

describe('NetworkDecoder.decodeRange', () => {
  for (const file of captures) {
    it(`${file.slice(file.lastIndexOf('/') + 1)}: the same datagrams, warnings and stats as decode`, () => {
      const { packets } = readPcap(file);
      const expected = decodeAll(packets);
      const { chunk, starts } = inChunk(packets);
      const warnings: DecodeWarning[] = [];
      const decoder = new NetworkDecoder((w) => warnings.push(w));
      const datagrams: string[] = [];
      packets.forEach((packet, i) => {
        // The pipeline reads pkt.data no more: an empty one here proves it.
        const described = { ...packet, data: Buffer.alloc(0) };
        decoder.decodeRange(described, chunk, starts[i]!, starts[i]! + packet.data.length, {
          datagram(version: IpVersion, src: string, dst: string, protocol: number, buf: Buffer, start: number, end: number, frames: number[], pkt: RawPacket) {
            expect(pkt).toBe(described);
            datagrams.push(text(version, src, dst, protocol, buf.subarray(start, end), frames));
          },
        });
      });
      decoder.finish();
      expect(datagrams).toEqual(expected.datagrams.map((d) => text(d.version, d.src, d.dst, d.protocol, d.payload, d.frames)));
      expect(warnings).toEqual(expected.warnings);
      expect(decoder.stats).toEqual(expected.decoder.stats);
    });
  }
});
