// The forms a capture can take beyond the corpus: the other byte order, several pcapng
// sections, other timestamp resolutions and offsets, Simple and obsolete Packet Blocks,
// blocks to skip, comments. Built byte by byte (builders.ts) or made with editcap (fixtures).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RawPacket } from '../../src/model.js';
import { formatTimestamp } from '../../src/timefmt.js';
import {
  buildPcap,
  commentOption,
  CUSTOM,
  CUSTOM_NO_COPY,
  customBlock,
  block,
  epb,
  idb,
  ISB,
  NRB,
  pb,
  pcapngToBigEndian,
  pcapToBigEndian,
  shb,
  spb,
  tsoffsetOption,
  tsresolOption,
} from './builders.js';
import { corpusEntries, FIXTURES_DIR, parseBytes } from './collect.js';

const entries = corpusEntries();
const corpusFile = (name: string, ext: string) => readFileSync(path.join(entries.find((e) => e.name === name)!.dir, `${name}${ext}`));

/** What a reader should deliver identically for the same packets in another encoding. */
function essence(packets: RawPacket[]) {
  return packets.map((p) => ({
    frame: p.frame,
    time: formatTimestamp(p.ts),
    linkType: p.linkType,
    data: p.data.toString('hex'),
    origLength: p.origLength,
    truncated: p.truncated,
    interfaceIndex: p.interfaceIndex,
  }));
}

describe('big-endian files (converted field by field from the corpus)', () => {
  const pcaps = entries.flatMap((e) => e.files.filter((f) => f.endsWith('.pcap')));
  it.each(pcaps.map((f) => ({ name: path.basename(f), file: f })))('$name as big-endian pcap', ({ file }) => {
    const little = readFileSync(file);
    const big = pcapToBigEndian(little);
    expect(big.subarray(0, 2).toString('hex')).toBe('a1b2');
    const a = parseBytes(little);
    const b = parseBytes(big);
    expect(b.warnings).toEqual([]);
    expect(b.info).toEqual(a.info);
    expect(essence(b.packets)).toEqual(essence(a.packets));
    expect(b.packets.map((p) => p.fileOffset)).toEqual(a.packets.map((p) => p.fileOffset));
  });

  const pcapngs = entries.flatMap((e) => e.files.filter((f) => f.endsWith('.pcapng')));
  it.each(pcapngs.map((f) => ({ name: path.basename(f), file: f })))('$name as big-endian pcapng', ({ file }) => {
    const little = readFileSync(file);
    const big = pcapngToBigEndian(little);
    expect(big.subarray(8, 12).toString('hex')).toBe('1a2b3c4d');
    const a = parseBytes(little);
    const b = parseBytes(big);
    expect(b.warnings).toEqual([]);
    expect(b.info).toEqual(a.info);
    expect(essence(b.packets)).toEqual(essence(a.packets));
  });
});

describe('several pcapng sections in one file', () => {
  it('counts frames across sections, each section with its own byte order and interfaces', () => {
    const udp = corpusFile('call-basic-udp', '.pcapng');
    const sll = corpusFile('call-basic-udp-sll', '.pcapng');
    const comments = readFileSync(path.join(FIXTURES_DIR, 'comments.pcapng'));
    const joined = Buffer.concat([udp, pcapngToBigEndian(sll), comments]);
    const { packets, warnings, info } = parseBytes(joined);
    const parts = [parseBytes(udp), parseBytes(sll), parseBytes(comments)];

    expect(warnings).toEqual([]);
    expect(info.packets).toBe(7 + 14 + 7);
    expect(packets.map((p) => p.frame)).toEqual(Array.from({ length: 28 }, (_, i) => i + 1));
    expect(info.linkTypes).toEqual([1, 113]);
    expect(packets.map((p) => p.linkType)).toEqual([...Array(7).fill(1), ...Array(14).fill(113), ...Array(7).fill(1)]);
    const expected = parts.flatMap((part) => part.packets).map((p, i) => ({ ...p, frame: i + 1 }));
    expect(essence(packets)).toEqual(essence(expected));
    expect(packets[7]!.fileOffset).toBe(udp.length + parts[1]!.packets[0]!.fileOffset);
    expect(info.comments).toEqual(parts[2]!.info.comments);
  });

  it('starts a new interface list with each section', () => {
    const le = true;
    const section1 = Buffer.concat([shb(le), idb(le, 1, 0), idb(le, 113, 0), epb(le, { interfaceId: 1, units: 1n, data: Buffer.from('a') })]);
    // In section 2 interface 1 does not exist: the packet is refused, not read with section 1's interface.
    const section2 = Buffer.concat([shb(!le), idb(!le, 101, 0), epb(!le, { interfaceId: 1, units: 2n, data: Buffer.from('b') }), epb(!le, { units: 3n, data: Buffer.from('c') })]);
    const { packets, warnings, info } = parseBytes(Buffer.concat([section1, section2]));
    expect(packets.map((p) => [p.frame, p.linkType, p.interfaceIndex, p.data.toString()])).toEqual([
      [1, 113, 1, 'a'],
      [2, 101, 0, 'c'],
    ]);
    expect(info.linkTypes).toEqual([1, 113, 101]);
    expect(warnings).toEqual([
      {
        offset: section1.length + shb(!le).length + idb(!le, 101, 0).length,
        packet: 2,
        message: expect.stringContaining('packet on interface 1, but the section describes 1'),
      },
    ]);
  });
});

describe('pcapng timestamp resolution (if_tsresol) and offset (if_tsoffset)', () => {
  /** The reference conversion, in BigInt: whole seconds and nanoseconds rounded down. */
  function expectedTime(units: bigint, tsresol: number, offset = 0n): string {
    const perSecond = tsresol & 0x80 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
    const sec = units / perSecond + offset;
    const nsec = ((units % perSecond) * 1_000_000_000n) / perSecond;
    const digits = tsresol & 0x80 ? 9 : Math.min(tsresol, 9);
    return digits === 0 ? `${sec}` : `${sec}.${nsec.toString().padStart(9, '0').slice(0, digits)}`;
  }

  // Timestamps around 2026-11-25 in each unit (or, for units so fine that 64 bits do not
  // reach 2026, half-way to where they end), crossing 2^32-unit boundaries (where the high
  // half changes) forwards and backwards, plus the edges of the fraction.
  function unitsFor(tsresol: number): bigint[] {
    const perSecond = tsresol & 0x80 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
    const reachable = (1n << 64n) / perSecond / 2n;
    const seconds = reachable < 1795532484n ? reachable : 1795532484n;
    const base = seconds * perSecond;
    const boundary = ((base >> 32n) + 1n) << 32n;
    return [base, base + perSecond - 1n, base + perSecond / 3n, boundary - 1n, boundary, boundary + 1n, base + 7n, boundary + perSecond + 12345n, base - 1n];
  }

  const resolutions = [
    { tsresol: 0, name: '1 s' },
    { tsresol: 3, name: '10^-3' },
    { tsresol: 6, name: '10^-6 (the default)' },
    { tsresol: 9, name: '10^-9' },
    { tsresol: 12, name: '10^-12' },
    { tsresol: 0x80 | 10, name: '2^-10' },
    { tsresol: 0x80 | 20, name: '2^-20' },
    { tsresol: 0x80 | 32, name: '2^-32' },
    { tsresol: 0x80 | 40, name: '2^-40' },
  ];

  it.each(resolutions)('$name, both byte orders', ({ tsresol }) => {
    for (const le of [true, false]) {
      const units = unitsFor(tsresol);
      const file = Buffer.concat([
        shb(le),
        idb(le, 1, 0, tsresol === 6 ? [] : [tsresolOption(tsresol, le)]),
        ...units.map((u) => epb(le, { units: u, data: Buffer.from('x') })),
      ]);
      const { packets, warnings } = parseBytes(file);
      expect(warnings).toEqual([]);
      expect(packets.map((p) => formatTimestamp(p.ts))).toEqual(units.map((u) => expectedTime(u, tsresol)));
      expect(packets.every((p) => p.ts.digits === (tsresol & 0x80 ? 9 : Math.min(tsresol, 9)))).toBe(true);
    }
  });

  it('agrees with exact BigInt arithmetic for any time and resolution (property)', () => {
    const tsresol = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 40 }).map((n) => 0x80 | n));
    fc.assert(
      fc.property(tsresol, fc.bigInt({ min: 0n, max: (1n << 33n) - 1n }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (resolution, seconds, fraction) => {
        const perSecond = resolution & 0x80 ? 1n << BigInt(resolution & 0x7f) : 10n ** BigInt(resolution);
        const units = seconds * perSecond + BigInt(Math.floor(fraction * Number(perSecond)));
        fc.pre(units < 1n << 64n);
        const le = seconds % 2n === 0n;
        const file = Buffer.concat([shb(le), idb(le, 1, 0, [tsresolOption(resolution, le)]), epb(le, { units, data: Buffer.alloc(1) })]);
        expect(formatTimestamp(parseBytes(file).packets[0]!.ts)).toBe(expectedTime(units, resolution));
      }),
      { numRuns: 500, seed: 1795532484 },
    );
  });

  it('matches hand-computed times', () => {
    const le = true;
    const file = Buffer.concat([
      shb(le),
      idb(le, 1, 0, [tsresolOption(9)]),
      idb(le, 1, 0, [tsresolOption(3)]),
      idb(le, 1, 0, [tsresolOption(0x80 | 20)]),
      idb(le, 1, 0),
      epb(le, { interfaceId: 0, units: 1795532484343801646n, data: Buffer.alloc(1) }),
      epb(le, { interfaceId: 1, units: 1795532484343n, data: Buffer.alloc(1) }),
      // 1795532484 s + 2^19 units of 2^-20 s = half a second; + 1 unit = 953.674 ns more
      epb(le, { interfaceId: 2, units: (1795532484n << 20n) + (1n << 19n), data: Buffer.alloc(1) }),
      epb(le, { interfaceId: 2, units: (1795532484n << 20n) + (1n << 19n) + 1n, data: Buffer.alloc(1) }),
      epb(le, { interfaceId: 3, units: 1795532484343801n, data: Buffer.alloc(1) }),
    ]);
    expect(parseBytes(file).packets.map((p) => [formatTimestamp(p.ts), p.interfaceIndex])).toEqual([
      ['1795532484.343801646', 0],
      ['1795532484.343', 1],
      ['1795532484.500000000', 2],
      ['1795532484.500000953', 2],
      ['1795532484.343801', 3],
    ]);
  });

  it('adds if_tsoffset seconds (signed)', () => {
    for (const le of [true, false]) {
      const file = Buffer.concat([
        shb(le),
        idb(le, 1, 0, [tsresolOption(9, le), tsoffsetOption(1_000_000_000n, le)]),
        idb(le, 1, 0, [tsoffsetOption(-3600n, le)]),
        idb(le, 1, 0, [tsresolOption(0x80 | 20, le), tsoffsetOption(86400n, le)]),
        epb(le, { interfaceId: 0, units: 795532484123456789n, data: Buffer.alloc(4) }),
        epb(le, { interfaceId: 1, units: 1795536084000001n, data: Buffer.alloc(4) }),
        epb(le, { interfaceId: 2, units: 1795446084n << 20n, data: Buffer.alloc(4) }),
      ]);
      expect(parseBytes(file).packets.map((p) => formatTimestamp(p.ts))).toEqual([
        '1795532484.123456789',
        '1795532484.000001',
        '1795532484.000000000',
      ]);
    }
  });
});

describe('pcapng packet blocks other than EPB', () => {
  it('reads Simple Packet Blocks on the first interface, with the previous time (0 before any)', () => {
    const le = false;
    const data = Buffer.from('0123456789abcdef0123', 'latin1');
    const file = Buffer.concat([
      shb(le),
      idb(le, 105, 16, [tsresolOption(9, le)]),
      idb(le, 1, 0),
      spb(le, data.subarray(0, 5)),
      epb(le, { interfaceId: 1, units: 1795532484000001n, data: Buffer.from('e') }),
      spb(le, data.subarray(0, 16), 20), // snapped at the interface's 16 bytes
      spb(le, data.subarray(0, 3), 3),
    ]);
    const { packets, warnings, info } = parseBytes(file);
    expect(warnings).toEqual([]);
    expect(info.linkTypes).toEqual([105, 1]);
    expect(packets.map((p) => [p.frame, formatTimestamp(p.ts), p.linkType, p.interfaceIndex, p.data.toString('latin1'), p.origLength, p.truncated])).toEqual([
      [1, '0.000000000', 105, 0, '01234', 5, false],
      [2, '1795532484.000001', 1, 1, 'e', 1, false],
      [3, '1795532484.000001', 105, 0, '0123456789abcdef', 20, true],
      [4, '1795532484.000001', 105, 0, '012', 3, false],
    ]);
  });

  it('skips a Simple Packet Block before any interface, with a warning', () => {
    const file = Buffer.concat([shb(), spb(true, Buffer.from('lost')), idb(true, 1, 0), spb(true, Buffer.from('kept'))]);
    const { packets, warnings } = parseBytes(file);
    expect(packets.map((p) => [p.frame, p.data.toString()])).toEqual([[1, 'kept']]);
    expect(warnings).toEqual([{ offset: shb().length, packet: 1, message: expect.stringContaining('simple packet block before any interface') }]);
  });

  it('reads the obsolete Packet Block (type 2) with its 16-bit interface id and comment', () => {
    for (const le of [true, false]) {
      const file = Buffer.concat([
        shb(le),
        idb(le, 1, 0),
        idb(le, 113, 0, [tsresolOption(3, le)]),
        pb(le, { interfaceId: 1, units: 1795532484001n, data: Buffer.from('old'), origLength: 60, opts: [commentOption('from 2004', le)] }),
        epb(le, { interfaceId: 0, units: 1795532484000002n, data: Buffer.from('new') }),
      ]);
      const { packets, warnings } = parseBytes(file);
      expect(warnings).toEqual([]);
      expect(packets.map((p) => [p.frame, formatTimestamp(p.ts), p.linkType, p.interfaceIndex, p.data.toString(), p.origLength, p.truncated, p.comment])).toEqual([
        [1, '1795532484.001', 113, 1, 'old', 60, true, 'from 2004'],
        [2, '1795532484.000002', 1, 0, 'new', 3, false, undefined],
      ]);
    }
  });

  it('skips custom, statistics, name resolution and unknown blocks silently', () => {
    const le = true;
    const packet = (n: bigint) => epb(le, { units: n, data: Buffer.from(`p${n}`) });
    const file = Buffer.concat([
      shb(le),
      customBlock(CUSTOM, 32473, Buffer.from('vendor data before any interface')),
      idb(le, 1, 0),
      packet(1n),
      customBlock(CUSTOM_NO_COPY, 32473, Buffer.from([0x06, 0, 0, 0, 0x20, 0, 0, 0])),
      block(NRB, Buffer.from([0x01, 0x00, 0x08, 0x00, 127, 0, 0, 1, 0x6c, 0x6f, 0x00, 0x00, 0, 0, 0, 0])),
      packet(2n),
      block(0x12345678, Buffer.from('an unknown block type')),
      block(0x80000001, Buffer.alloc(0)),
      block(ISB, Buffer.alloc(12)),
      packet(3n),
    ]);
    const { packets, warnings } = parseBytes(file);
    expect(warnings).toEqual([]);
    expect(packets.map((p) => [p.frame, p.data.toString()])).toEqual([
      [1, 'p1'],
      [2, 'p2'],
      [3, 'p3'],
    ]);
  });
});

describe('comments', () => {
  it('keeps packet comments and section comments written by editcap', () => {
    const { packets, warnings, info } = parseBytes(readFileSync(path.join(FIXTURES_DIR, 'comments.pcapng')));
    expect(warnings).toEqual([]);
    expect(packets.map((p) => p.comment)).toEqual([undefined, '100 Trying seen here', undefined, undefined, 'ACK — with a UTF-8 dash', undefined, undefined]);
    expect(info.comments).toEqual(['captured on lo for the sipladder tests', 'second section comment line']);
  });

  it('joins several comments on one packet with newlines and reads other options past them', () => {
    const flags = Buffer.alloc(4);
    flags.writeUInt32LE(1);
    const file = Buffer.concat([
      shb(true, [commentOption('first section')]),
      idb(true, 1, 0),
      epb(true, { units: 5n, data: Buffer.from('abcde'), opts: [commentOption('one'), Buffer.from([2, 0, 4, 0, ...flags]), commentOption('two\nlines')] }),
    ]);
    const { packets, info } = parseBytes(file);
    expect(packets[0]!.comment).toBe('one\ntwo\nlines');
    expect(packets[0]!.data.toString()).toBe('abcde');
    expect(info.comments).toEqual(['first section']);
  });
});

describe('classic pcap details', () => {
  it('marks snaplen-truncated packets and keeps the bytes that are there', () => {
    for (const le of [true, false]) {
      const file = buildPcap({ le, snaplen: 4, linkType: 113 }, [
        { sec: 1795532484, frac: 1, data: Buffer.from('abcd'), origLength: 1500 },
        { sec: 1795532484, frac: 2, data: Buffer.from('xyz') },
      ]);
      const { packets, warnings, info } = parseBytes(file);
      expect(warnings).toEqual([]);
      expect(info.linkTypes).toEqual([113]);
      expect(packets.map((p) => [p.data.toString(), p.origLength, p.truncated, p.fileOffset])).toEqual([
        ['abcd', 1500, true, 24],
        ['xyz', 3, false, 24 + 16 + 4],
      ]);
    }
  });

  it('reads packets longer than a wrong snap length in the header, and resyncs without it', () => {
    const records = Array.from({ length: 12 }, (_, i) => ({ sec: 1795532484 + i, frac: i, data: Buffer.alloc(100 + 50 * i, i) }));
    const file = buildPcap({ snaplen: 64 }, records);
    const clean = parseBytes(file);
    expect(clean.warnings).toEqual([]);
    expect(clean.packets.map((p) => p.data.length)).toEqual(records.map((r) => r.data.length));

    const damaged = Buffer.from(file);
    const at = 24 + records.slice(0, 8).reduce((sum, r) => sum + 16 + r.data.length, 0);
    damaged.writeUInt32LE(0x00ffffff, at + 8);
    const result = parseBytes(damaged);
    expect(result.packets.map((p) => p.data[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11]);
    expect(result.packets.map((p) => p.data.length)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11].map((i) => 100 + 50 * i));
    expect(result.warnings).toEqual([{ offset: at, packet: 9, message: expect.stringContaining(`resynchronised at offset ${at + 16 + 500}`) }]);
  });

  it('reads nanosecond pcap in both byte orders', () => {
    for (const le of [true, false]) {
      const file = buildPcap({ le, nsec: true }, [{ sec: 1795532484, frac: 343801646, data: Buffer.from('x') }]);
      const { packets, info } = parseBytes(file);
      expect(info.format).toBe('pcap-nsec');
      expect(formatTimestamp(packets[0]!.ts)).toBe('1795532484.343801646');
    }
  });

  it('takes the link type from the low 16 bits (the high bits carry the FCS length)', () => {
    const file = buildPcap({ linkType: 0x90000001 }, [{ sec: 1, frac: 0, data: Buffer.from('x') }]);
    expect(parseBytes(file).info.linkTypes).toEqual([1]);
  });
});
