// Every corpus capture, in each of its forms (pcapng, microsecond pcap, nanosecond pcap),
// against tshark's ground truth (messages.json) and, for classic pcap, packet for packet
// against pcap-parser, an independent reader.
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RawPacket, Timestamp } from '../../src/model.js';
import { compareTimestamps, formatTimestamp } from '../../src/timefmt.js';
import { corpusEntries, readAll, tracePcaps } from './collect.js';

const require = createRequire(import.meta.url);

interface ReferencePacket {
  header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
  data: Buffer;
}

/** pcap-parser's old callback API: 'packet' events ({header, data}), then 'end'. */
function readWithPcapParser(file: string): Promise<ReferencePacket[]> {
  const pcapParser = require('pcap-parser') as { parse(path: string): NodeJS.EventEmitter };
  return new Promise((resolve, reject) => {
    const packets: ReferencePacket[] = [];
    const parser = pcapParser.parse(file);
    parser.on('packet', (p: ReferencePacket) => packets.push({ header: p.header, data: Buffer.from(p.data) }));
    parser.on('error', reject);
    parser.on('end', () => resolve(packets));
  });
}

/** tshark prints 9 decimals; a microsecond file holds the first 6 (editcap truncates). */
function atPrecision(epoch: string, digits: number): string {
  const [sec, frac] = epoch.split('.') as [string, string];
  return digits === 0 ? sec : `${sec}.${frac.slice(0, digits)}`;
}

function latest(packets: RawPacket[]): Timestamp {
  return packets.reduce((a, p) => (compareTimestamps(p.ts, a) > 0 ? p.ts : a), packets[0]!.ts);
}

const entries = corpusEntries();

describe('corpus captures', () => {
  it('finds the corpus, each folder with a pcapng and a pcap', () => {
    expect(entries.length).toBeGreaterThanOrEqual(22);
    for (const e of entries) {
      expect(e.files.map((f) => path.basename(f))).toEqual(expect.arrayContaining([`${e.name}.pcapng`, `${e.name}.pcap`]));
    }
    expect(entries.some((e) => e.files.some((f) => f.endsWith('.nsec.pcap')))).toBe(true);
  });

  const cases = entries.flatMap((e) => e.files.map((file) => ({ label: path.basename(file), file, entry: e })));
  it.each(cases)('$label: frames, first and last time, link type', async ({ file, entry }) => {
    const { packets, warnings, info } = await readAll(file);
    const digits = file.endsWith('.pcapng') || file.endsWith('.nsec.pcap') ? 9 : 6;
    expect(warnings).toEqual([]);
    expect(info.packets).toBe(entry.truth.frames);
    expect(packets.map((p) => p.frame)).toEqual(Array.from({ length: entry.truth.frames }, (_, i) => i + 1));
    expect(info.format).toBe(file.endsWith('.pcapng') ? 'pcapng' : digits === 9 ? 'pcap-nsec' : 'pcap');
    expect(info.compression).toBeNull();
    expect(packets.every((p) => p.ts.digits === digits)).toBe(true);
    expect(formatTimestamp(packets[0]!.ts)).toBe(atPrecision(entry.truth.first_frame_epoch, digits));
    expect(formatTimestamp(latest(packets))).toBe(atPrecision(entry.truth.last_frame_epoch, digits));
    expect(info.linkTypes).toEqual([entry.linkType]);
    expect(packets.every((p) => p.linkType === entry.linkType && p.interfaceIndex === 0)).toBe(true);
  });

  it('writes the time of every SIP frame as tshark does, in every form', async () => {
    for (const entry of entries) {
      const { messages } = entry.truth as unknown as { messages: { frame: number; time_epoch: string }[] };
      for (const file of entry.files) {
        const { packets } = await readAll(file);
        const digits = packets[0]!.ts.digits;
        expect(messages.map((m) => formatTimestamp(packets[m.frame - 1]!.ts))).toEqual(messages.map((m) => atPrecision(m.time_epoch, digits)));
      }
    }
  });

  it('reads the same packet bytes from every form of a capture', async () => {
    for (const entry of entries) {
      const forms = await Promise.all(entry.files.map((f) => readAll(f)));
      const reference = forms[0]!.packets;
      for (const form of forms) {
        expect(form.packets.map((p) => p.data.toString('hex'))).toEqual(reference.map((p) => p.data.toString('hex')));
        expect(form.packets.map((p) => p.origLength)).toEqual(reference.map((p) => p.origLength));
      }
    }
  });
});

const classicPcaps = [
  ...entries.flatMap((e) => e.files.filter((f) => f.endsWith('.pcap') && !f.endsWith('.nsec.pcap'))),
  ...tracePcaps(),
].map((file) => ({ label: path.relative(path.dirname(path.dirname(file)), file), file }));

describe('packet for packet against pcap-parser', () => {
  it.each(classicPcaps)('$label', async ({ file }) => {
    const [ours, reference] = await Promise.all([readAll(file), readWithPcapParser(file)]);
    expect(ours.warnings).toEqual([]);
    expect(ours.packets.length).toBe(reference.length);
    ours.packets.forEach((p, i) => {
      const ref = reference[i]!;
      expect({ sec: p.ts.sec, usec: p.ts.nsec / 1000, caplen: p.data.length, origlen: p.origLength }).toEqual({
        sec: ref.header.timestampSeconds,
        usec: ref.header.timestampMicroseconds,
        caplen: ref.header.capturedLength,
        origlen: ref.header.originalLength,
      });
      expect(p.truncated).toBe(ref.header.capturedLength < ref.header.originalLength);
      expect(p.data.equals(ref.data)).toBe(true);
    });
  });
});
