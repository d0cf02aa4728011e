// Every SIP message tshark finds in the corpus captures, found by the transport stage with the
// same frame, index in frame, reassembly frames, endpoints, transport and time.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatEndpoint, formatTimestamp } from '../../src/timefmt.js';
import { CORPUS, decodeFile, groundTruth, type Collected, type GroundTruth } from './helpers.js';

const CAPTURES = readdirSync(CORPUS).filter((name) => existsSync(join(CORPUS, name, 'messages.json')));

/** The first line of the message as tshark describes it: method, or status code. */
function firstLineMatches(m: Collected, truth: GroundTruth): boolean {
  const firstLine = m.text.slice(0, m.text.indexOf('\r\n'));
  return truth.method !== undefined ? firstLine.startsWith(`${truth.method} `) : firstLine.startsWith(`SIP/2.0 ${truth.status} `);
}

function compare(messages: Collected[], truth: GroundTruth[], digits: number): void {
  expect(messages.length).toBe(truth.length);
  truth.forEach((t, i) => {
    const m = messages[i];
    const where = `message ${t.msg} (frame ${t.frame})`;
    expect({ where, frame: m.frame, index: m.indexInFrame }).toEqual({ where, frame: t.frame, index: t.index_in_frame });
    expect({ where, frames: m.frames }).toEqual({ where, frames: t.reassembled_from_frames ?? [t.frame] });
    expect(formatEndpoint(m.srcIp, m.srcPort, m.ipVersion)).toBe(t.src);
    expect(formatEndpoint(m.dstIp, m.dstPort, m.ipVersion)).toBe(t.dst);
    expect(m.transport).toBe(t.transport);
    expect(formatTimestamp(m.ts)).toBe(t.time_epoch.slice(0, t.time_epoch.length - (9 - digits)));
    expect(firstLineMatches(m, t), where).toBe(true);
    expect(m.text).toContain(t.call_id);
    if (t.content_length !== null) {
      // The message ends exactly where its Content-Length says.
      const blank = m.text.indexOf('\r\n\r\n');
      expect(m.bytes.length - (blank + 4), where).toBe(t.content_length);
    }
  });
}

describe('corpus captures: every message of messages.json', () => {
  for (const name of CAPTURES) {
    for (const [variant, digits] of [['pcapng', 9], ['pcap', 6]] as const) {
      it(`${name}.${variant}`, () => {
        const { messages, warnings } = decodeFile(join(CORPUS, name, `${name}.${variant}`));
        compare(messages, groundTruth(name), digits);
        expect(warnings.filter((w) => !/fragment/i.test(w.message))).toEqual([]);
      });
    }
  }
});

describe('TCP corpus details', () => {
  it('tcp-coalesced-and-split: three messages in one segment, a message split inside the CSeq line, the CRLFCRLF keep-alive skipped', () => {
    const { messages } = decodeFile(join(CORPUS, 'tcp-coalesced-and-split', 'tcp-coalesced-and-split.pcapng'));
    const frame34 = messages.filter((m) => m.frame === 34);
    expect(frame34.map((m) => m.text.slice(0, 14))).toEqual(['SIP/2.0 100 Tr', 'SIP/2.0 180 Ri', 'SIP/2.0 200 OK']);
    expect(frame34.map((m) => m.indexInFrame)).toEqual([0, 1, 2]);
    // Frame 32 is the lone "\r\n\r\n": no message, and the 100 Trying after it starts cleanly.
    expect(messages.some((m) => m.frame === 32)).toBe(false);
    expect(frame34[0].text.startsWith('SIP/2.0 100 Trying\r\n')).toBe(true);
    const split = messages.find((m) => m.frame === 10)!;
    expect(split.frames).toEqual([8, 10]);
    expect(split.text).toMatch(/\r\nCSeq: 1 INVITE\r\n/);
  });

  it('tcp-big-sdp-segments: each INVITE from 5 segments, each 200 OK from 4', () => {
    const { messages } = decodeFile(join(CORPUS, 'tcp-big-sdp-segments', 'tcp-big-sdp-segments.pcapng'));
    const invites = messages.filter((m) => m.text.startsWith('INVITE '));
    const oks = messages.filter((m) => m.text.startsWith('SIP/2.0 200 OK') && m.text.includes('application/sdp'));
    expect(invites.map((m) => m.frames.length)).toEqual([5, 5]);
    expect(oks.map((m) => m.frames.length)).toEqual([4, 4]);
    for (const m of [...invites, ...oks]) expect(m.frame).toBe(m.frames[m.frames.length - 1]);
  });
});
