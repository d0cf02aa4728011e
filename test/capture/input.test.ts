// What reaches the reader: files and streams of any chunking, gzip (sound, cut short,
// corrupt), and things that are not captures at all.
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFormatError, CaptureParser, readCapture, sniffCaptureFormat } from '../../src/capture/index.js';
import { formatTimestamp } from '../../src/timefmt.js';
import { buildPcap, chunked, pcapFileHeader, pcapRecordOffsets, pcapToBigEndian, shb } from './builders.js';
import { corpusEntries, FIXTURES_DIR, parseBytes, readAll } from './collect.js';

const entries = corpusEntries();
const corpusPath = (name: string, ext: string) => path.join(entries.find((e) => e.name === name)!.dir, `${name}${ext}`);
const corpusFile = (name: string, ext: string) => readFileSync(corpusPath(name, ext));

const scratch = mkdtempSync(path.join(tmpdir(), 'sipladder-capture-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function scratchFile(name: string, bytes: Buffer): string {
  const file = path.join(scratch, name);
  writeFileSync(file, bytes);
  return file;
}

function essence(packets: { frame: number; ts: Parameters<typeof formatTimestamp>[0]; data: Buffer; origLength: number }[]) {
  return packets.map((p) => `${p.frame} ${formatTimestamp(p.ts)} ${p.origLength} ${p.data.toString('hex')}`);
}

describe('sniffCaptureFormat', () => {
  it('recognises each magic number in both byte orders', () => {
    const pcap = pcapFileHeader();
    expect(sniffCaptureFormat(pcap)).toBe('pcap');
    expect(sniffCaptureFormat(pcapFileHeader({ le: false }))).toBe('pcap');
    expect(sniffCaptureFormat(pcapFileHeader({ nsec: true }))).toBe('pcap-nsec');
    expect(sniffCaptureFormat(pcapFileHeader({ nsec: true, le: false }))).toBe('pcap-nsec');
    expect(sniffCaptureFormat(shb(true))).toBe('pcapng');
    expect(sniffCaptureFormat(shb(false))).toBe('pcapng');
    expect(sniffCaptureFormat(gzipSync(pcap))).toBe('gzip');
    expect(sniffCaptureFormat(corpusFile('call-basic-udp', '.pcap'))).toBe('pcap');
  });

  it('answers null for anything else and for heads too short to tell', () => {
    expect(sniffCaptureFormat(Buffer.from('<!DOCTYPE html>'))).toBeNull();
    expect(sniffCaptureFormat(Buffer.from([0xd4, 0xc3, 0xb2]))).toBeNull();
    expect(sniffCaptureFormat(Buffer.alloc(0))).toBeNull();
    expect(sniffCaptureFormat(Buffer.from([0x1f]))).toBeNull();
  });
});

describe('input that is not a capture', () => {
  const cases = [
    { name: 'HTML', bytes: Buffer.from('<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>nope</body></html>\n'), message: 'not a capture file: starts with 3c 21 44 4f (looks like HTML)' },
    { name: 'JSON', bytes: Buffer.from('{"frames": 7, "messages": [{"msg": 0, "method": "INVITE"}, {"msg": 1, "status": 100}]}'), message: 'not a capture file: starts with 7b 22 66 72 (looks like JSON)' },
    { name: 'zip', bytes: readFileSync(path.join(FIXTURES_DIR, 'call-basic-udp.pcap.zip')), message: 'not a capture file: starts with 50 4b 03 04 (looks like a zip archive)' },
    { name: 'text', bytes: Buffer.from('INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n'), message: 'not a capture file: starts with 49 4e 56 49 (looks like text)' },
    { name: 'binary', bytes: Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 37 + 1) & 0xff)), message: 'not a capture file: starts with 01 26 4b 70 (looks like unknown binary data)' },
    { name: 'short HTML', bytes: Buffer.from('<html></html>'), message: 'not a capture file: starts with 3c 68 74 6d (looks like HTML)' },
    { name: 'three bytes', bytes: Buffer.from([0xd4, 0xc3, 0xb2]), message: 'not a capture file: only 3 bytes (d4 c3 b2)' },
    { name: 'empty input', bytes: Buffer.alloc(0), message: 'not a capture file: the input is empty' },
  ];

  it.each(cases)('$name is rejected from a file, a stream and the parser alike', async ({ bytes, message }) => {
    const file = scratchFile('input.bin', bytes);
    await expect(readCapture(file, { packet() {}, warning() {} })).rejects.toThrow(new CaptureFormatError(message));
    await expect(readCapture(chunked(bytes, 5), { packet() {}, warning() {} })).rejects.toThrow(message);
    await expect(readCapture(chunked(gzipSync(bytes), 7), { packet() {}, warning() {} })).rejects.toThrow(message);
    expect(() => parseBytes(bytes)).toThrow(message);
    expect(() => parseBytes(bytes, 1)).toThrow(message);
  });

  it('the error is a CaptureFormatError, and pushing stops at the first bytes that tell', () => {
    const parser = new CaptureParser({ packet() {}, warning() {} });
    let error: unknown;
    try {
      parser.push(Buffer.from('<!DOCTYPE html>'.padEnd(200, ' ')));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CaptureFormatError);
    expect((error as Error).name).toBe('CaptureFormatError');
  });

  it('a missing file is an I/O error, not a format error', async () => {
    const rejection = readCapture(path.join(scratch, 'missing.pcap'), { packet() {}, warning() {} });
    await expect(rejection).rejects.toThrow(/ENOENT/);
    await expect(rejection).rejects.not.toBeInstanceOf(CaptureFormatError);
  });

  it('an error of the source stream rejects with that error', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield corpusFile('call-basic-udp', '.pcap').subarray(0, 100);
      throw new Error('connection reset');
    }
    await expect(readCapture(failing(), { packet() {}, warning() {} })).rejects.toThrow('connection reset');
    async function* failingGzip(): AsyncGenerator<Buffer> {
      yield gzipSync(corpusFile('call-basic-udp', '.pcap')).subarray(0, 100);
      throw new Error('connection reset');
    }
    await expect(readCapture(failingGzip(), { packet() {}, warning() {} })).rejects.toThrow('connection reset');
  });
});

describe('sources', () => {
  const file = corpusPath('call-basic-tcp', '.pcapng');
  const bytes = readFileSync(file);

  it('reads a path, a file stream, a Readable and an async iterable of Uint8Arrays the same way', async () => {
    const reference = await readAll(file);
    expect(reference.info.packets).toBe(45);
    async function* uint8(): AsyncGenerator<Uint8Array> {
      for (let pos = 0; pos < bytes.length; pos += 1000) yield new Uint8Array(bytes.subarray(pos, pos + 1000));
    }
    const others = [
      await readAll(createReadStream(file, { highWaterMark: 333 })),
      await readAll(Readable.from([bytes.subarray(0, 10), bytes.subarray(10)])),
      await readAll(uint8() as AsyncIterable<Buffer>),
    ];
    for (const other of others) {
      expect(essence(other.packets)).toEqual(essence(reference.packets));
      expect(other.info).toEqual(reference.info);
      expect(other.warnings).toEqual([]);
    }
  });

  it('reads a file of many reads (two read buffers in turn) as the same bytes in memory, plain and gzip', async () => {
    // The corpus TCP call over and over, frames renumbered by the reader: about 10 MB, so
    // records are cut by the end of each 4 MiB read, and the reads land in two buffers in turn,
    // each refilled while the other is parsed.
    const pcap = corpusFile('call-basic-tcp', '.pcap');
    const offsets = pcapRecordOffsets(pcap);
    const records = pcap.subarray(offsets[0]);
    const copies = Math.ceil((10 * 1024 * 1024) / records.length);
    const big = Buffer.concat([pcap.subarray(0, offsets[0]), ...Array.from({ length: copies }, () => records)]);
    const reference = parseBytes(big);
    expect(reference.info.packets).toBe(copies * (offsets.length - 1));
    for (const [name, bytes] of [['big.pcap', big], ['big.pcap.gz', gzipSync(big)]] as const) {
      const fromFile = await readAll(scratchFile(name, bytes));
      expect(fromFile.warnings).toEqual([]);
      expect(fromFile.info.packets).toBe(reference.info.packets);
      expect(essence(fromFile.packets)).toEqual(essence(reference.packets));
    }
  });

  it('hands packetRange the same packets as packet, as ranges of the reader\'s buffer, from a path and from a stream', async () => {
    // The corpus TCP call over and over (about 10 MB: records cut by the end of each 4 MiB read), pcap and pcapng.
    for (const ext of ['.pcap', '.pcapng']) {
      const one = corpusFile('call-basic-tcp', ext);
      const big = ext === '.pcap' ? Buffer.concat([one, ...Array.from({ length: 500 }, () => one.subarray(24))]) : Buffer.concat(Array.from({ length: 500 }, () => one));
      const reference = parseBytes(big);
      for (const source of [scratchFile(`ranges${ext}`, big), Readable.from(chunked(big, 65536))]) {
        const ranges: string[] = [];
        const buffers = new Set<Buffer>();
        await readCapture(source, {
          packet: () => expect.unreachable('packetRange takes every packet'),
          packetRange(p, buf, start, end) {
            buffers.add(buf);
            expect(p.data.length).toBe(0);
            ranges.push(essence([{ ...p, ts: { ...p.ts }, data: buf.subarray(start, end) }])[0]!);
            expect(p.truncated).toBe(end - start < p.origLength);
          },
          warning: (w) => expect.unreachable(w.message),
        });
        expect(ranges).toEqual(essence(reference.packets));
        // The bytes are not copied out per packet: they are ranges of a few large buffers.
        expect(buffers.size).toBeLessThan(ranges.length / 100);
      }
    }
  });
});

describe('gzip', () => {
  const variants = [
    { name: 'pcapng', ext: '.pcapng' },
    { name: 'pcap', ext: '.pcap' },
    { name: 'nanosecond pcap', ext: '.nsec.pcap' },
  ];

  it.each(variants)('inflates a gzip-compressed $name (by magic, not by name) as a stream', async ({ ext }) => {
    const plain = corpusFile('call-basic-udp', ext);
    const reference = parseBytes(plain);
    const compressed = gzipSync(plain);
    for (const source of [scratchFile('capture.bin', compressed), chunked(compressed, 100)]) {
      const { packets, warnings, info } = await readAll(source);
      expect(warnings).toEqual([]);
      expect(info).toEqual({ ...reference.info, compression: 'gzip' });
      expect(info.bytes).toBe(plain.length);
      expect(essence(packets)).toEqual(essence(reference.packets));
    }
  });

  it('a gzip stream cut short: the packets before the cut, a warning, no crash', async () => {
    const plain = corpusFile('callmix-udp-500', '.pcap');
    const reference = parseBytes(plain);
    const compressed = gzipSync(plain);
    const { packets, warnings, info } = await readAll(chunked(compressed.subarray(0, compressed.length >> 1), 65536));
    expect(info.compression).toBe('gzip');
    expect(packets.length).toBeGreaterThan(100);
    expect(packets.length).toBeLessThan(reference.packets.length);
    expect(essence(packets)).toEqual(essence(reference.packets.slice(0, packets.length)));
    const gzipWarning = warnings.find((w) => w.message.includes('gzip'))!;
    expect(gzipWarning.message).toMatch(/^the gzip stream is damaged after \d+ inflated bytes \(unexpected end of file at compressed offset \d+\); the \d+ packets before it are kept$/);
    expect(gzipWarning.offset).toBe(info.bytes);
    expect(gzipWarning.message).toContain(`the ${packets.length} packets`);
  });

  it('reads the same whatever the chunking of the compressed stream', async () => {
    const plain = corpusFile('call-basic-udp', '.pcapng');
    const reference = essence(parseBytes(plain).packets);
    const compressed = Buffer.concat([gzipSync(plain.subarray(0, 2000)), gzipSync(plain.subarray(2000))]);
    for (let cut = 1; cut < compressed.length; cut++) {
      const { packets, warnings } = await readAll(Readable.from([compressed.subarray(0, cut), compressed.subarray(cut)]));
      expect(warnings).toEqual([]);
      expect(essence(packets)).toEqual(reference);
    }
  });

  it('reads member headers with a file name, comment, extra field and header CRC (RFC 1952 section 2.3)', async () => {
    const plain = corpusFile('call-basic-udp', '.pcap');
    const deflated = gzipSync(plain).subarray(10);
    const extra = Buffer.from([4, 0, 0x41, 0x42, 0x43, 0x44]);
    const header = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3]),
      extra,
      Buffer.from('call-basic-udp.pcap\0comment: made by the test\0', 'latin1'),
      Buffer.from([0x12, 0x34]),
    ]);
    const { packets, warnings, info } = await readAll(chunked(Buffer.concat([header, deflated]), 3));
    expect(warnings).toEqual([]);
    expect(info.compression).toBe('gzip');
    expect(essence(packets)).toEqual(essence(parseBytes(plain).packets));
  });

  it('gzip data that inflates to nothing usable is not a capture', async () => {
    const unknownMethod = Buffer.from([0x1f, 0x8b, 7, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4]);
    await expect(readCapture(chunked(unknownMethod, 100), { packet() {}, warning() {} })).rejects.toThrow(
      new CaptureFormatError('not a capture file: gzip data that does not inflate (unknown compression method 7 at compressed offset 0)'),
    );
    const garbage = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), Buffer.alloc(100, 0xff)]);
    await expect(readCapture(chunked(garbage, 100), { packet() {}, warning() {} })).rejects.toThrow(/^not a capture file: gzip data that does not inflate \(invalid block type at compressed offset 10\)$/);
  });

  it('reads concatenated gzip members as one stream (RFC 1952 section 2.2)', async () => {
    const plain = corpusFile('call-basic-tcp', '.pcapng');
    const reference = parseBytes(plain);
    const members = Buffer.concat([gzipSync(plain.subarray(0, 5000)), gzipSync(plain.subarray(5000))]);
    const { packets, warnings, info } = await readAll(chunked(members, 4096));
    expect(warnings).toEqual([]);
    expect(info).toEqual({ ...reference.info, compression: 'gzip' });
    expect(essence(packets)).toEqual(essence(reference.packets));
  });

  it('checks each member trailer (CRC-32, length) and notices a missing one', async () => {
    const plain = corpusFile('call-basic-udp', '.pcap');
    const compressed = gzipSync(plain);
    const crcFlipped = Buffer.from(compressed);
    crcFlipped[compressed.length - 8]! ^= 0x01;
    const lengthFlipped = Buffer.from(compressed);
    lengthFlipped[compressed.length - 1]! ^= 0x01;
    const cases = [
      { bytes: crcFlipped, problem: `CRC-32 mismatch: the inflated data is not what was compressed at compressed offset ${compressed.length - 8}` },
      { bytes: lengthFlipped, problem: `length mismatch: the inflated data is not what was compressed at compressed offset ${compressed.length - 8}` },
      { bytes: compressed.subarray(0, compressed.length - 3), problem: `the stream ends inside a member trailer at compressed offset ${compressed.length - 8}` },
      { bytes: compressed.subarray(0, compressed.length - 8), problem: `the stream ends before the member trailer at compressed offset ${compressed.length - 8}` },
    ];
    for (const { bytes, problem } of cases) {
      const { packets, warnings } = await readAll(chunked(bytes, 16));
      expect(packets).toHaveLength(7);
      expect(warnings).toEqual([
        { offset: plain.length, packet: null, message: `the gzip stream is damaged after ${plain.length} inflated bytes (${problem}); the 7 packets before it are kept` },
      ]);
    }
  });

  it('garbage after the gzip data: a warning, the packets before it kept', async () => {
    const plain = corpusFile('callmix-udp-500', '.pcap');
    const reference = parseBytes(plain);
    const compressed = Buffer.concat([gzipSync(plain), Buffer.from('trailing garbage, not a gzip member')]);
    const { packets, warnings } = await readAll(scratchFile('trailing.pcap.gz', compressed));
    expect(warnings).toEqual([
      {
        offset: plain.length,
        packet: null,
        message: `the gzip stream is damaged after ${plain.length} inflated bytes (unexpected bytes after the gzip data at compressed offset ${compressed.length - 35}); the 3240 packets before it are kept`,
      },
    ]);
    expect(essence(packets)).toEqual(essence(reference.packets));
  });

  it('a corrupt gzip stream: a warning with the offset, the packets read so far, no crash', async () => {
    const plain = corpusFile('callmix-udp-500', '.pcap');
    const reference = parseBytes(plain);
    const compressed = Buffer.from(gzipSync(plain));
    compressed.fill(0xff, compressed.length >> 1, (compressed.length >> 1) + 64);
    const { packets, warnings, info } = await readAll(chunked(compressed, 65536));
    expect(info.compression).toBe('gzip');
    expect(packets.length).toBeGreaterThan(100);
    const gzipWarning = warnings.find((w) => w.message.includes('gzip stream is damaged'));
    expect(gzipWarning).toBeDefined();
    expect(gzipWarning!.offset).toBeGreaterThan(0);
    // Whatever the inflater made of the damaged stretch, the packets before it are intact.
    expect(essence(packets.slice(0, 100))).toEqual(essence(reference.packets.slice(0, 100)));
  });
});

describe('progress', () => {
  /** About 10 MB: the call mix's records repeated, timestamps kept increasing. */
  function largeCapture(): Buffer {
    const source = pcapToBigEndian(corpusFile('callmix-udp-500', '.pcap'));
    const offsets = pcapRecordOffsets(source);
    const records = offsets.slice(0, -1).map((o, i) => source.subarray(o, offsets[i + 1]));
    const copies: Buffer[] = [source.subarray(0, 24)];
    for (let round = 0; round < 7; round++) {
      for (const record of records) {
        const copy = Buffer.from(record);
        copy.writeUInt32BE(record.readUInt32BE(0) + round * 100, 0);
        copies.push(copy);
      }
    }
    return Buffer.concat(copies);
  }

  it('reports source bytes every few MB and once at the end', async () => {
    const big = largeCapture();
    const { progress, info, warnings } = await readAll(chunked(big, 1 << 20));
    expect(warnings).toEqual([]);
    expect(info.packets).toBe(3240 * 7);
    expect(progress.at(-1)).toBe(big.length);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < progress.length - 1; i++) expect(progress[i]! - progress[i - 1]!).toBeGreaterThanOrEqual(4 << 20);

    const compressed = gzipSync(big);
    const gz = await readAll(chunked(compressed, 1 << 16));
    expect(gz.info.packets).toBe(3240 * 7);
    expect(gz.progress.at(-1)).toBe(compressed.length);
  });

  it('CaptureParser reports the bytes pushed, at most every 4 MiB', () => {
    const big = largeCapture();
    const seen: number[] = [];
    const parser = new CaptureParser({ packet() {}, warning() {}, progress: (n) => seen.push(n) });
    for (let pos = 0; pos < big.length; pos += 1 << 20) parser.push(big.subarray(pos, pos + (1 << 20)));
    parser.end();
    expect(seen).toEqual([4 << 20, 8 << 20]);
  });
});

describe('CaptureParser lifecycle', () => {
  it('end() twice gives the same answer; push() after end() is a programming error', () => {
    const parser = new CaptureParser({ packet() {}, warning() {} });
    parser.push(buildPcap({}, [{ sec: 1, frac: 2, data: Buffer.from('x') }]));
    const info = parser.end();
    expect(info.packets).toBe(1);
    expect(parser.end()).toBe(info);
    expect(() => parser.push(Buffer.alloc(1))).toThrow(/after end/);
  });

  it('a capture that ends inside its file header is a capture with a warning', () => {
    const { packets, warnings, info } = parseBytes(pcapFileHeader().subarray(0, 10));
    expect(packets).toEqual([]);
    expect(info.format).toBe('pcap');
    expect(warnings).toEqual([{ offset: 0, packet: null, message: 'the capture ends inside the pcap file header (10 of 24 bytes)' }]);
  });
});
