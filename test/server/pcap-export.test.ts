// src/views/pcap-export.ts: frame copies and synthetic UDP frames, checked by tshark (its
// IP and UDP checksum validation) and by our own pcap reader.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { exportFrames, pcapGlobalHeader, pcapRecord, udpFrame } from '../../src/views/pcap-export.js';
import { readPcap } from './helpers/pcap.js';
import { corpusFile, tempDir } from './helpers/server.js';

async function collect(run: (out: PassThrough) => Promise<unknown>): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await run(out);
  out.end();
  return Buffer.concat(chunks);
}

describe('synthetic UDP frames', () => {
  it('are valid Ethernet / IPv4 and IPv6 / UDP with correct checksums (tshark checks them)', () => {
    const payload = Buffer.from('OPTIONS sip:10.1.2.3 SIP/2.0\r\nContent-Length: 0\r\n\r\n');
    const odd = Buffer.concat([payload, Buffer.from('x')]);
    const frames = [
      udpFrame('10.1.2.3:5060', '10.9.8.7:5080', payload),
      udpFrame('10.1.2.3:5060', '10.9.8.7:5080', odd),
      udpFrame('[fd12:3456:789a:1::1]:5060', '[fd12:3456:789a:1::2]:5062', payload),
      udpFrame('[fdab:1:2:3:4:5:6:7]:5060', '[fdab::9]:5060', odd),
    ];
    const file = Buffer.concat([pcapGlobalHeader(1, true), ...frames.map((f, i) => pcapRecord({ sec: 1_700_000_000 + i, nsec: 123_456_789, digits: 9 }, f, f.length, true))]);
    const path = join(tempDir('pcap'), 'synthetic.pcap');
    writeFileSync(path, file);
    const fields = execFileSync('tshark', [
      '-r', path, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=|',
      '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'ipv6.dst', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'ip.checksum.status', '-e', 'udp.checksum.status', '-e', 'sip.Method',
      '-e', 'frame.time_epoch',
    ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    expect(fields).toEqual([
      '10.1.2.3|||5060|5080|1|1|OPTIONS|1700000000.123456789',
      '10.1.2.3|||5060|5080|1|1|OPTIONS|1700000001.123456789',
      '|fd12:3456:789a:1::1|fd12:3456:789a:1::2|5060|5062||1|OPTIONS|1700000002.123456789',
      '|fdab:1:2:3:4:5:6:7|fdab::9|5060|5060||1|OPTIONS|1700000003.123456789',
    ]);
  });
});

describe('exportFrames', () => {
  it('copies the chosen frames with their link type and nanosecond timestamps', async () => {
    const file = await collect((out) => exportFrames(corpusFile('call-basic-udp-sll'), new Set([2, 5, 9]), out));
    const pcap = readPcap(file);
    expect(pcap.linkType).toBe(113);
    expect(pcap.nanoseconds).toBe(true);
    const tshark = execFileSync('tshark', ['-r', corpusFile('call-basic-udp-sll'), '-Y', 'frame.number == 2 || frame.number == 5 || frame.number == 9', '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim().split('\n').map((l) => l.split('\t'));
    expect(pcap.frames.map((f) => [`${f.sec}.${String(f.fraction).padStart(9, '0')}`, String(f.data.length)])).toEqual(tshark);
  });

  it('writes microsecond timestamps for a microsecond capture, and just the header when nothing matches', async () => {
    const usec = readPcap(await collect((out) => exportFrames(corpusFile('call-basic-udp', 'pcap'), new Set([1]), out)));
    expect(usec.nanoseconds).toBe(false);
    expect(usec.frames).toHaveLength(1);
    const none = await collect((out) => exportFrames(corpusFile('call-basic-udp-sll'), new Set([999]), out));
    expect(none.length).toBe(24);
    expect(readPcap(none).linkType).toBe(113);
  });

  it('reads gzip-compressed captures too', async () => {
    const pcap = readPcap(await collect((out) => exportFrames('traces/callmix-udp-500.pcapng.gz', new Set([1, 2, 3]), out)));
    expect(pcap.frames).toHaveLength(3);
  });
});
