// IPv4 and IPv6 fragment reassembly on the corpus capture udp-ip-fragmented (and the IPv6 one made
// in test/fixtures/net), replayed in other orders, with duplicates, and rebuilt with overlapping,
// inconsistent, oversized and flooding fragments (headers rebuilt with real checksums).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RawPacket } from '../../src/model.js';
import { FragmentReassembler, type FragmentInput } from '../../src/net/fragments.js';
import { CORPUS, decodeAll, FIXTURES, ipv4FragmentHeader, readPcap, withData } from './helpers.js';

const capture = readPcap(join(CORPUS, 'udp-ip-fragmented', 'udp-ip-fragmented.pcap'));
const frame = (n: number) => capture.packets[n - 1]!;
const INVITE_FRAGMENTS = [7, 8, 9, 10, 11];
const OK_FRAGMENTS = [14, 15, 16, 17];
/** The INVITE's UDP datagram (8-byte header + 6054 bytes of SIP), as reassembled in capture order. */
const invite = decodeAll(capture.packets).datagrams.find((d) => d.frames.length === 5)!;

/** Ethernet + IPv4 fragment of the INVITE's datagram: bytes [start, end) of it, as frame `frameNumber`. */
function inviteFragment(start: number, end: number, more: boolean, frameNumber: number, data: Buffer = invite.payload): RawPacket {
  const template = frame(7);
  const ethernet = template.data.subarray(0, 14);
  const header = ipv4FragmentHeader(template.data.subarray(14), end - start, start, more);
  return withData(template, Buffer.concat([ethernet, header, data.subarray(start, end)]), frameNumber);
}

function atTime(packet: RawPacket, sec: number): RawPacket {
  return { ...packet, ts: { ...packet.ts, sec } };
}

describe('IPv4 reassembly of udp-ip-fragmented', () => {
  it('in capture order: two datagrams, frames as tshark lists them', () => {
    const { datagrams, warnings } = decodeAll(capture.packets);
    expect(warnings).toEqual([]);
    expect(datagrams.filter((d) => d.frames.length > 1).map((d) => d.frames)).toEqual([INVITE_FRAGMENTS, OK_FRAGMENTS]);
  });

  it('shuffled: completed by the last fragment to arrive, frames still in order of offset', () => {
    const order = [11, 9, 7, 16, 10, 14, 17, 8, 15];
    const { datagrams, warnings } = decodeAll(order.map(frame));
    expect(warnings).toEqual([]);
    expect(datagrams.map((d) => d.frames)).toEqual([INVITE_FRAGMENTS, OK_FRAGMENTS]);
    expect(datagrams.map((d) => d.emittedAt)).toEqual([8, 15]);
    expect(datagrams[0]!.payload).toEqual(invite.payload);
  });

  it('reversed, each fragment sent twice: duplicates are ignored', () => {
    const order = [11, 11, 10, 9, 10, 8, 7].map((n, i) => withData(frame(n), frame(n).data, 100 + i));
    const { datagrams, warnings } = decodeAll(order);
    expect(warnings).toEqual([]);
    expect(datagrams).toHaveLength(1);
    // Frames 100..106 carry 11, 11 again, 10, 9, 10 again, 8, 7: offset order, duplicates left out.
    expect(datagrams[0]!.frames).toEqual([106, 105, 103, 102, 100]);
    expect(datagrams[0]!.payload).toEqual(invite.payload);
  });

  it('a duplicate of a fragment that completed its datagram starts a new one, reported at the end', () => {
    const { datagrams, warnings, decoder } = decodeAll([...INVITE_FRAGMENTS, 9].map(frame));
    expect(datagrams).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('never completed');
    expect(decoder.stats.fragmentsExpired).toBe(1);
  });

  it('overlapping fragments: the bytes that arrived first win', () => {
    const garbage = Buffer.alloc(invite.payload.length, 'X');
    const packets = [
      inviteFragment(1480, 2960, true, 1), // arrives first: keeps [1480, 2960)
      inviteFragment(0, 2000, true, 2, garbage.fill(invite.payload.subarray(0, 1480), 0, 1480)), // overlaps [1480, 2000) with X
      inviteFragment(2960, 4440, true, 3),
      inviteFragment(2400, 4440, true, 4, Buffer.alloc(invite.payload.length, 'Y')), // entirely covered: ignored
      inviteFragment(4000, invite.payload.length, false, 5), // overlaps [4000, 4440) with the same bytes
    ];
    const { datagrams, warnings } = decodeAll(packets);
    expect(warnings).toEqual([]);
    expect(datagrams).toHaveLength(1);
    expect(datagrams[0]!.payload).toEqual(invite.payload);
    expect(datagrams[0]!.frames).toEqual([2, 1, 3, 5]);
  });

  it('a second last fragment that disagrees drops the datagram with a warning', () => {
    const packets = [inviteFragment(0, 1480, true, 1), inviteFragment(2960, 3000, false, 2), inviteFragment(1480, 2960, false, 3)];
    const { datagrams, warnings, decoder } = decodeAll(packets);
    expect(datagrams).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ packet: 3 });
    expect(warnings[0]!.message).toMatch(/ends at 2960 bytes, an earlier last fragment said 3000.*dropped/);
    expect(decoder.stats.fragmentsExpired).toBe(1);
  });

  it('a fragment reaching beyond 65535 bytes is dropped with a warning, and so is its datagram', () => {
    const big = Buffer.alloc(70000, 'Z');
    const packets = [inviteFragment(0, 1480, true, 1, big), inviteFragment(65000, 65520, true, 2, big)];
    const { datagrams, warnings, decoder } = decodeAll(packets);
    expect(datagrams).toEqual([]);
    expect(warnings.map((w) => w.packet)).toEqual([2]);
    expect(warnings[0]!.message).toContain('beyond the 65535-byte limit');
    expect(decoder.stats.fragmentsExpired).toBe(1);
  });

  it('a middle fragment whose length is not a multiple of 8 is ignored with a warning', () => {
    const packets = [inviteFragment(0, 1477, true, 1)];
    const { warnings } = decodeAll(packets);
    expect(warnings[0]!.message).toContain('not a multiple of 8');
  });

  it('times out on packet timestamps: a datagram older than fragmentTimeoutSec is dropped, naming its first frame', () => {
    const start = frame(7).ts.sec;
    const packets = [
      atTime(frame(7), start),
      atTime(frame(8), start + 10),
      atTime(frame(12), start + 31), // an unrelated packet, 31 s after the first fragment
      atTime(frame(9), start + 32),
      atTime(frame(10), start + 32),
      atTime(frame(11), start + 32),
    ];
    const { datagrams, warnings, decoder } = decodeAll(packets, { fragmentTimeoutSec: 30 });
    expect(datagrams.filter((d) => d.frames.length > 1)).toEqual([]);
    expect(warnings[0]).toMatchObject({ packet: 7, offset: frame(7).fileOffset });
    expect(warnings[0]!.message).toMatch(/first fragment in frame 7: not completed within 30 s \(2960 of an unknown number of bytes/);
    // The late fragments made a datagram of their own that never completed.
    expect(warnings[1]!.message).toMatch(/first fragment in frame 9: never completed \(3102 of 6062 bytes/);
    expect(decoder.stats.fragmentsExpired).toBe(2);
  });

  it('within the timeout nothing expires', () => {
    const start = frame(7).ts.sec;
    const packets = INVITE_FRAGMENTS.map((n, i) => atTime(frame(n), start + i * 7));
    const { datagrams, warnings } = decodeAll(packets, { fragmentTimeoutSec: 30 });
    expect(warnings).toEqual([]);
    expect(datagrams[0]!.frames).toEqual(INVITE_FRAGMENTS);
  });
});

describe('fragment flood', () => {
  /** One 1480-byte first fragment of a different datagram (IP id) per packet, never completed. */
  function flood(count: number): RawPacket[] {
    return Array.from({ length: count }, (_, i) => {
      const packet = inviteFragment(0, 1480, true, i + 1);
      const data = Buffer.from(packet.data);
      data.writeUInt16BE(i, 14 + 4); // IP id (the header checksum is not checked)
      return withData(packet, data);
    });
  }

  it('memory stays within maxFragmentBytes: the oldest datagrams are dropped, each with a warning', () => {
    const maxFragmentBytes = 64 * 1024;
    const { warnings, decoder } = decodeAll(flood(1000), { maxFragmentBytes });
    const evictions = warnings.filter((w) => w.message.includes('evicted'));
    // Each datagram holds 1480 bytes plus bookkeeping: ~35 fit, every later one evicts the oldest.
    expect(evictions.length).toBeGreaterThan(950);
    expect(evictions[0]).toMatchObject({ packet: 1 });
    expect(evictions[0]!.message).toContain(`exceeded ${maxFragmentBytes} bytes`);
    expect(warnings.filter((w) => w.message.includes('never completed')).length).toBe(1000 - evictions.length);
    expect(decoder.stats.fragmentsExpired).toBe(1000);
  });

  it('a datagram completing during a flood is still reassembled', () => {
    const packets = [...flood(300), ...INVITE_FRAGMENTS.map((n) => withData(frame(n), frame(n).data, 1000 + n))];
    const { datagrams } = decodeAll(packets, { maxFragmentBytes: 64 * 1024 });
    expect(datagrams.map((d) => d.frames)).toEqual([[1007, 1008, 1009, 1010, 1011]]);
  });

  it('the reassembler never holds more than its bound, tiny fragments included', () => {
    const maxBytes = 10_000;
    const warnings: string[] = [];
    const reassembler = new FragmentReassembler((w) => warnings.push(w.message), maxBytes, 30);
    const addresses = Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]);
    const data = Buffer.alloc(8, 1);
    for (let id = 0; id < 5000; id++) {
      const input: FragmentInput = {
        version: 4, key: `flood-${id}`, addressBuf: addresses, addressOffset: 0, protocol: 17, id, offset: 8 * (id % 50),
        more: true, data, start: 0, end: 8, headerLength: 20, frames: [id + 1], frame: id + 1, fileOffset: 0, time: 0,
      };
      expect(reassembler.add(input)).toBeNull();
      expect(reassembler.bytesHeld).toBeLessThanOrEqual(maxBytes);
    }
    expect(reassembler.pendingCount).toBeLessThan(40);
    expect(warnings.length).toBe(5000 - reassembler.pendingCount);
  });
});

describe('IPv6 reassembly (ipv6-ext fixture)', () => {
  const ipv6 = readPcap(join(FIXTURES, 'ipv6-ext.pcap'));

  it('fragments replayed backwards give the same datagrams and frame lists', () => {
    const inOrder = decodeAll(ipv6.packets);
    const backwards = decodeAll([...ipv6.packets].reverse());
    expect(backwards.warnings).toEqual([]);
    const summary = (d: (typeof inOrder.datagrams)[number]) => `${d.src} ${d.dst} ${d.protocol} ${d.frames.join(',')} ${d.payload.length}`;
    expect(backwards.datagrams.map(summary).sort()).toEqual(inOrder.datagrams.map(summary).sort());
    expect(inOrder.datagrams.filter((d) => d.frames.length > 1).length).toBe(6);
  });

  it('an IPv6 fragment past 65535 bytes is dropped with a warning', () => {
    // Frame 9 is a middle fragment (Fragment header right after the IPv6 header); move it to offset 65000.
    const packet = ipv6.packets[8]!;
    const data = Buffer.from(packet.data);
    expect(data[14 + 6]).toBe(44);
    data.writeUInt16BE((65000 & 0xfff8) | 1, 14 + 40 + 2);
    const { warnings } = decodeAll([withData(packet, data)]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/^IPv6 fragment fd66::1 -> fd66::2 \(id 0x[0-9a-f]+\) at offset 65000 .*beyond the 65535-byte limit/);
  });
});
