// The SIP readers never throw, whatever the bytes: arbitrary input, and real corpus messages
// with bytes flipped, inserted, deleted and cut (the damage a capture can do).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getHeaderValues, parseNameAddr, parseSdp, parseSipMessage, parseUri, parseVia, scanSip, summarizeSdp } from '../../src/sip/index.js';
import { corpusMessages, corpusNames } from './corpus-messages.js';

/** One message of each kind from the corpus: every start line and header shape it has. */
const SAMPLES: Buffer[] = (() => {
  const seen = new Set<string>();
  const samples: Buffer[] = [];
  for (const name of corpusNames()) {
    for (const { bytes } of corpusMessages(name)) {
      const key = bytes.toString('latin1', 0, bytes.indexOf('\r\n')).replace(/[0-9]+/g, '') + bytes.includes('multipart');
      if (!seen.has(key)) {
        seen.add(key);
        samples.push(bytes);
      }
    }
  }
  return samples;
})();

/** Bytes that mean something to the scanner, so mutations hit its branches more often than random bytes would. */
const SIGNIFICANT = [0x0d, 0x0a, 0x20, 0x09, 0x3a, 0x3b, 0x2c, 0x22, 0x5c, 0x3c, 0x3e, 0x3d, 0x2f, 0x40, 0x5b, 0x5d, 0xc3, 0xff, 0x00];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.oneof(fc.constantFrom(...SIGNIFICANT), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(original: Buffer, mutations: Mutation[]): Buffer {
  let bytes = Buffer.from(original);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    if (m.kind === 'flip' && bytes.length > 0) bytes[at] = m.byte;
    else if (m.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.bytes), bytes.subarray(at)]);
    else if (m.kind === 'delete') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.count)]);
    else if (m.kind === 'cut') bytes = bytes.subarray(0, at);
  }
  return bytes;
}

/** Runs every reader on the bytes and checks the invariants that hold for any input. */
function readEverything(bytes: Buffer): void {
  for (const datagram of [true, false]) {
    const head = scanSip(bytes, { datagram });
    expect(head.bodyLength).toBeGreaterThanOrEqual(0);
    expect(head.bodyLength).toBeLessThanOrEqual(bytes.length);
    expect(head.viaCount).toBeGreaterThanOrEqual(0);
    if (head.malformed === null) {
      expect(head.callId).not.toBeNull();
      expect(head.cseq).not.toBeNull();
    }
  }
  const parsed = parseSipMessage(bytes);
  expect(parsed.bodyEnd).toBeLessThanOrEqual(bytes.length);
  for (const header of parsed.headers) {
    expect(header.start).toBeLessThanOrEqual(header.end);
    getHeaderValues(parsed, header.name);
    parseNameAddr(header.value);
    parseVia(header.value);
    parseUri(header.value);
  }
  summarizeSdp(parseSdp(bytes.toString('utf8')));
}

describe('SIP readers never throw', () => {
  it('on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (raw) => readEverything(Buffer.from(raw))), { numRuns: 400 });
  });

  it('on arbitrary text made of SIP-significant characters', () => {
    const sipish = fc.string({ unit: fc.constantFrom('\r\n', '\n', ' ', '\t', ':', ';', ',', '"', '\\', '<', '>', '=', 'SIP/2.0', 'Via', 'v', 'From', 'To', 'tag', 'branch', 'sip:', '@', 'Content-Length', 'l', '5', '0', 'multipart/mixed;boundary=b', '--b', 'c', 'application/sdp', 'm=audio 1 RTP/AVP 0', 'é'), maxLength: 80 });
    fc.assert(fc.property(sipish, (text) => readEverything(Buffer.from(text, 'utf8'))), { numRuns: 400 });
  });

  it('on mutated corpus messages', () => {
    expect(SAMPLES.length).toBeGreaterThan(20);
    fc.assert(
      fc.property(fc.constantFrom(...SAMPLES), fc.array(mutation, { minLength: 1, maxLength: 6 }), (original, mutations) => readEverything(mutate(original, mutations))),
      { numRuns: 600 },
    );
  });

  it('on arbitrary strings for the string-level parsers', () => {
    fc.assert(fc.property(fc.string({ maxLength: 120 }), (text) => {
      parseUri(text);
      parseNameAddr(text);
      parseVia(text);
      summarizeSdp(parseSdp(text));
    }), { numRuns: 400 });
  });
});
