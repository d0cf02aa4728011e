// Damaged captures: cut short anywhere, a broken length in the middle, random byte flips,
// and chunk boundaries anywhere. The reader must warn with the offset, deliver every intact
// packet, never throw, never stall.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureFormatError } from '../../src/capture/index.js';
import type { RawPacket } from '../../src/model.js';
import { formatTimestamp } from '../../src/timefmt.js';
import { pcapngBlockOffsets, pcapngToBigEndian, pcapRecordOffsets, pcapToBigEndian } from './builders.js';
import { type Collected, corpusEntries, parseBytes, parseSplit } from './collect.js';

const entries = corpusEntries();
const corpusFile = (name: string, ext: string) => readFileSync(path.join(entries.find((e) => e.name === name)!.dir, `${name}${ext}`));

const smallPcap = corpusFile('call-basic-udp', '.pcap');
const smallNsecPcap = corpusFile('call-basic-udp', '.nsec.pcap');
const smallPcapng = corpusFile('call-basic-udp', '.pcapng');

function summary(packets: RawPacket[]) {
  return packets.map((p) => `${p.frame} ${formatTimestamp(p.ts)} ${p.fileOffset} ${p.origLength} ${p.interfaceIndex} ${p.data.toString('hex')}`);
}

/** Everything a parse produced, in a form toEqual can compare. */
function outcome(c: Collected) {
  return { packets: summary(c.packets), warnings: c.warnings, info: c.info };
}

/** Offsets of the packet-carrying records: pcap records, or pcapng EPBs. */
function packetRecordOffsets(file: Buffer): { starts: number[]; ends: number[] } {
  if (file.readUInt32LE(0) === 0x0a0d0d0a) {
    const le = file.readUInt32LE(8) === 0x1a2b3c4d;
    const offsets = pcapngBlockOffsets(file);
    const starts: number[] = [];
    const ends: number[] = [];
    offsets.slice(0, -1).forEach((o, i) => {
      if ((le ? file.readUInt32LE(o) : file.readUInt32BE(o)) === 6) {
        starts.push(o);
        ends.push(offsets[i + 1]!);
      }
    });
    return { starts, ends };
  }
  const offsets = pcapRecordOffsets(file);
  return { starts: offsets.slice(0, -1), ends: offsets.slice(1) };
}

describe('a capture cut short', () => {
  const files = [
    { name: 'pcap', file: smallPcap },
    { name: 'big-endian nanosecond pcap', file: pcapToBigEndian(smallNsecPcap) },
    { name: 'pcapng', file: smallPcapng },
    { name: 'big-endian pcapng', file: pcapngToBigEndian(smallPcapng) },
  ];

  it.each(files)('$name: at every byte, complete packets are delivered and the cut record is reported', ({ file }) => {
    const full = parseBytes(file);
    const boundaries = new Set(file.readUInt32LE(0) === 0x0a0d0d0a ? pcapngBlockOffsets(file) : [0, ...pcapRecordOffsets(file)]);
    const allOffsets = file.readUInt32LE(0) === 0x0a0d0d0a ? pcapngBlockOffsets(file) : [0, ...pcapRecordOffsets(file)];
    const { ends } = packetRecordOffsets(file);
    for (let cut = 4; cut < file.length; cut++) {
      const { packets, warnings } = parseBytes(file.subarray(0, cut));
      const complete = ends.filter((end) => end <= cut).length;
      expect(summary(packets)).toEqual(summary(full.packets.slice(0, complete)));
      if (boundaries.has(cut)) {
        expect(warnings).toEqual([]);
      } else {
        const cutRecord = Math.max(...allOffsets.filter((o) => o < cut));
        expect(warnings).toHaveLength(1);
        expect(warnings[0]!.offset).toBe(cutRecord);
        expect(warnings[0]!.message).toMatch(/ends/);
      }
    }
  });

  it('rejects fewer than 4 bytes as no capture', () => {
    for (let cut = 1; cut < 4; cut++) {
      expect(() => parseBytes(smallPcap.subarray(0, cut))).toThrow(CaptureFormatError);
    }
  });
});

describe('a broken record length in the middle', () => {
  /** Parses a copy of `file` changed by `edit`. */
  function damaged(file: Buffer, edit: (copy: Buffer) => void): Collected {
    const copy = Buffer.from(file);
    edit(copy);
    return parseBytes(copy);
  }

  const pcapCases = [
    { name: 'caplen 0xdeadbeef', caplen: () => 0xdeadbeef },
    { name: 'caplen just above the maximum', caplen: () => 262145 },
    { name: 'caplen 100 too long (above len)', caplen: (real: number) => real + 100 },
    { name: 'caplen 100 too short', caplen: (real: number) => real - 100 },
    { name: 'caplen 0', caplen: () => 0 },
  ];

  it.each(pcapCases)('pcap, $name: the record is reported at its offset and every other packet is read', ({ caplen }) => {
    for (const file of [smallPcap, corpusFile('call-basic-tcp', '.pcap'), pcapToBigEndian(corpusFile('call-basic-tcp', '.pcap'))]) {
      const le = file.readUInt32LE(0) === 0xa1b2c3d4;
      const full = parseBytes(file);
      const { starts } = packetRecordOffsets(file);
      for (const index of [0, 1, 3, Math.floor(starts.length / 2), starts.length - 2]) {
        const at = starts[index]!;
        const real = le ? file.readUInt32LE(at + 8) : file.readUInt32BE(at + 8);
        const result = damaged(file, (copy) => (le ? copy.writeUInt32LE(caplen(real) >>> 0, at + 8) : copy.writeUInt32BE(caplen(real) >>> 0, at + 8)));
        const expected = full.packets.filter((_, i) => i !== index).map((p, i) => ({ ...p, frame: i + 1 }));
        expect(summary(result.packets)).toEqual(summary(expected));
        expect(result.warnings).toEqual([
          {
            offset: at,
            packet: index + 1,
            message: expect.stringMatching(new RegExp(`^pcap record at offset ${at} \\(packet ${index + 1}\\): .*resynchronised at offset ${starts[index + 1]}`)),
          },
        ]);
      }
    }
  });

  const pcapngCases = [
    { name: 'total length not a multiple of 4', length: (real: number) => real + 1 },
    { name: 'total length below 12', length: () => 8 },
    { name: 'total length 0xfffffff0', length: () => 0xfffffff0 },
    { name: 'total length 8 bytes short (trailer mismatch)', length: (real: number) => real - 8 },
    { name: 'total length 300000 (past the end of a small file)', length: () => 300000 },
  ];

  it.each(pcapngCases)('pcapng, $name: the block is reported at its offset and every other packet is read', ({ length }) => {
    for (const file of [smallPcapng, corpusFile('call-basic-tcp', '.pcapng'), pcapngToBigEndian(corpusFile('call-basic-tcp', '.pcapng'))]) {
      const le = file.readUInt32LE(8) === 0x1a2b3c4d;
      const full = parseBytes(file);
      const { starts, ends } = packetRecordOffsets(file);
      for (const index of [0, 1, 3, Math.floor(starts.length / 2), starts.length - 2]) {
        const at = starts[index]!;
        const real = ends[index]! - at;
        const result = damaged(file, (copy) => (le ? copy.writeUInt32LE(length(real) >>> 0, at + 4) : copy.writeUInt32BE(length(real) >>> 0, at + 4)));
        const expected = full.packets.filter((_, i) => i !== index).map((p, i) => ({ ...p, frame: i + 1 }));
        expect(summary(result.packets)).toEqual(summary(expected));
        expect(result.warnings).toEqual([
          {
            offset: at,
            packet: index + 1,
            message: expect.stringMatching(new RegExp(`^pcapng block at offset ${at} \\(packet ${index + 1}\\): .*resynchronised at offset ${ends[index]}`)),
          },
        ]);
      }
    }
  });

  it('pcapng, a wrong trailing length: the block is reported and skipped', () => {
    const { starts, ends } = packetRecordOffsets(smallPcapng);
    const copy = Buffer.from(smallPcapng);
    copy.writeUInt32LE(4, ends[2]! - 4);
    const result = parseBytes(copy);
    expect(result.packets).toHaveLength(6);
    expect(result.warnings).toEqual([
      { offset: starts[2], packet: 3, message: expect.stringContaining('trailing total length 4 does not match the leading') },
    ]);
  });

  it('recovers from several damaged records in a large capture, streaming in small chunks', () => {
    const file = Buffer.from(corpusFile('callmix-udp-500', '.pcap'));
    const full = parseBytes(file);
    const { starts } = packetRecordOffsets(file);
    const broken = [10, 11, 500, 2999];
    for (const index of broken) file.writeUInt32LE(0xffffff00, starts[index]! + 8);
    const result = parseBytes(file, 4093);
    expect(result.packets).toHaveLength(full.packets.length - broken.length);
    // 10 and 11 are adjacent: one stretch of damage, one warning.
    expect(result.warnings.map((w) => [w.offset, w.packet])).toEqual([
      [starts[10], 11],
      [starts[500], 499],
      [starts[2999], 2997],
    ]);
    expect(result.warnings[0]!.message).toContain(`resynchronised at offset ${starts[12]}`);
  });

  it('pcapng: a block length that makes the reader wait (300000) is resolved within the stream', () => {
    const file = Buffer.from(corpusFile('callmix-udp-500', '.pcapng'));
    const { starts, ends } = packetRecordOffsets(file);
    file.writeUInt32LE(300000, starts[100]! + 4);
    const result = parseBytes(file, 65536);
    expect(result.packets).toHaveLength(starts.length - 1);
    expect(result.warnings).toEqual([
      { offset: starts[100], packet: 101, message: expect.stringContaining(`resynchronised at offset ${ends[100]}`) },
    ]);
  });

  it('says so when nothing readable follows the damage', () => {
    const { starts } = packetRecordOffsets(smallPcap);
    const copy = Buffer.from(smallPcap.subarray(0, starts[3]! + 40));
    copy.fill(0xee, starts[3]!);
    const result = parseBytes(copy);
    expect(result.packets).toHaveLength(3);
    expect(result.warnings).toEqual([{ offset: starts[3], packet: 4, message: expect.stringContaining('nothing readable follows (40 bytes to the end skipped)') }]);
  });
});

describe('chunk boundaries', () => {
  const files = [
    { name: 'pcap', file: smallPcap },
    { name: 'nanosecond pcap', file: smallNsecPcap },
    { name: 'pcapng', file: smallPcapng },
    { name: 'big-endian pcapng', file: pcapngToBigEndian(smallPcapng) },
  ];

  it.each(files)('$name: one byte at a time gives the same output as one push', ({ file }) => {
    expect(outcome(parseBytes(file, 1))).toEqual(outcome(parseBytes(file)));
  });

  it.each(files)('$name: two chunks split at every offset give the same output', ({ file }) => {
    const whole = outcome(parseBytes(file));
    for (let cut = 0; cut <= file.length; cut++) expect(outcome(parseSplit(file, [cut]))).toEqual(whole);
  });

  it('a record larger than the chunks is assembled across many of them', () => {
    const file = corpusFile('udp-ip-fragmented', '.pcapng');
    expect(outcome(parseBytes(file, 7))).toEqual(outcome(parseBytes(file)));
  });
});

describe('random damage', () => {
  const sources = [
    corpusFile('call-basic-tcp', '.pcap'),
    corpusFile('call-basic-tcp', '.pcapng'),
    pcapngToBigEndian(corpusFile('call-basic-tcp', '.pcapng')),
    corpusFile('call-basic-udp', '.nsec.pcap'),
  ];

  it('byte flips never throw, terminate, and read the same whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...sources),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (source, flips, cuts) => {
          const file = Buffer.from(source);
          // The first 4 bytes identify the format: flipping them is a different test (unknown formats).
          for (const [at, value] of flips) file[4 + (at % (file.length - 4))] = value;
          const whole = parseBytes(file);
          expect(whole.packets.length).toBeLessThanOrEqual(source.length / 16);
          expect(whole.packets.map((p) => p.frame)).toEqual(whole.packets.map((_, i) => i + 1));
          for (const w of whole.warnings) expect(w.offset).toBeLessThanOrEqual(file.length);
          const splits = [...new Set(cuts.map((c) => c % file.length))].sort((a, b) => a - b);
          expect(outcome(parseSplit(file, splits))).toEqual(outcome(whole));
        },
      ),
      { numRuns: 300, seed: 20261125 },
    );
  });

  it('garbage appended after a capture is reported once, the packets kept', () => {
    const garbage = Buffer.from('<html><body>this is not a record</body></html>'.repeat(20));
    for (const source of [smallPcap, smallPcapng]) {
      const result = parseBytes(Buffer.concat([source, garbage]));
      expect(result.packets).toHaveLength(7);
      expect(result.warnings).toHaveLength(1);
      expect(result.warnings[0]!.offset).toBe(source.length);
    }
  });
});
