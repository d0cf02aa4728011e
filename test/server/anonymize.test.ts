// src/views/anonymize.ts on hand-written SIP (each rule where it applies) and on every
// message of the corpus (the scanned fields of the anonymised text are the anonymised fields).
import { isIPv4, isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Anonymizer, IdentityCollector } from '../../src/views/anonymize.js';
import { scanSip } from '../../src/sip/index.js';
import { referenceAnalysis } from './helpers/reference.js';
import { corpusFile, corpusNames } from './helpers/server.js';

const KEY = Buffer.alloc(32, 7);

const INVITE = [
  'INVITE sip:+15551234567@198.51.100.7:5060;user=phone SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;received=192.0.2.10',
  'Via: SIP/2.0/TCP [2001:db8::10]:5061;branch=z9hG4bKnashds8',
  'From: "Alice Liddell" <sip:alice@atlanta.example.com>;tag=1928301774',
  'To: Bob Builder <sip:bob@biloxi.example.com>',
  'i: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice:secret@192.0.2.10:5060>',
  'P-Asserted-Identity: <tel:+1-555-123-4567>',
  'Proxy-Authorization: Digest username="alice", realm="atlanta.example.com",',
  ' nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.example.com",',
  ' response="6629fae49393a05397450978507c4ef1", cnonce="0a4f113b", nc=00000001, qop=auth',
  'Subject: lunch with alice?',
  'Content-Type: application/sdp',
  'Content-Length: 151',
  '',
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 49170 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  'a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB',
  '',
].join('\r\n');

const ORIGINALS = [
  '15551234567', '198.51.100.7', '192.0.2.10', '2001:db8::10', 'Alice', 'Liddell', 'alice', 'Bob Builder', 'bob', 'pc33.atlanta.example.com',
  'secret', '555-123-4567', 'dcd98b7102dd2f0e8b11d0f600bfb0c093', '6629fae49393a05397450978507c4ef1', '0a4f113b',
];

describe('Anonymizer', () => {
  it('replaces every identifying value of a SIP message and keeps the rest', () => {
    const out = new Anonymizer(KEY).sipText(INVITE);
    for (const value of ORIGINALS) expect(out, value).not.toContain(value);
    // What one shares a trace for stays.
    for (const kept of ['z9hG4bK776asdhds', 'tag=1928301774', 'CSeq: 314159 INVITE', 'atlanta.example.com', 'realm="atlanta.example.com"', 'user=phone',
      'nc=00000001', 'a=rtpmap:0 PCMU/8000', 'm=audio 49170 RTP/AVP 0', '4A:AD:B9:B1:3F:82:18:3B', ':5061;branch=']) {
      expect(out, kept).toContain(kept);
    }
    expect(out).toMatch(/^INVITE sip:\+\d{11}@10\.\d+\.\d+\.\d+:5060;user=phone SIP\/2\.0\r\n/);
    expect(out).toMatch(/P-Asserted-Identity: <tel:\+\d-\d{3}-\d{3}-\d{4}>/);
    expect(out).toMatch(/From: "Person [0-9a-f]{6}" <sip:user-[0-9a-f]{8}@atlanta\.example\.com>/);
    expect(out).toMatch(/To: Person [0-9a-f]{6} <sip:user-[0-9a-f]{8}@biloxi\.example\.com>/);
    expect(out).toMatch(/\r\ni: a84b4c76e66710@host-[0-9a-f]{8}\.invalid\r\n/);
    expect(out).toMatch(/Contact: <sip:user-[0-9a-f]{8}:[0-9a-f]{8}@10\.\d+\.\d+\.\d+:5060>/);
    expect(out).toMatch(/Via: SIP\/2\.0\/TCP \[fd[0-9a-f:]+\]:5061/);
    expect(out).toMatch(/Subject: lunch with user-[0-9a-f]{8}\?/);
    expect(out).toMatch(/\r\no=user-[0-9a-f]{8} 2890844526 2890844526 IN IP4 10\.\d+\.\d+\.\d+\r\n/);
  });

  it('moves Content-Length with the length of the body', () => {
    const out = new Anonymizer(KEY).sipText(INVITE);
    const body = out.slice(out.indexOf('\r\n\r\n') + 4);
    expect(Number(/Content-Length: (\d+)/.exec(out)![1])).toBe(Buffer.byteLength(body) - (Buffer.byteLength(INVITE.slice(INVITE.indexOf('\r\n\r\n') + 4)) - 151));
  });

  it('gives the same value the same pseudonym, and another key other pseudonyms', () => {
    const a = new Anonymizer(KEY);
    const out = a.sipText(INVITE);
    const ip = a.ip('192.0.2.10');
    expect(out.split(ip).length - 1).toBe(5);
    expect(a.endpoint('192.0.2.10:5060')).toBe(`${ip}:5060`);
    expect(a.ip('2001:db8:0:0::10')).toBe(a.ip('2001:DB8::10'));
    expect(a.endpoint('[2001:db8::10]:5061')).toBe(`[${a.ip('2001:db8::10')}]:5061`);
    expect(new Anonymizer(KEY).sipText(INVITE)).toBe(out);
    const other = new Anonymizer(Buffer.alloc(32, 8));
    expect(other.ip('192.0.2.10')).not.toBe(ip);
    expect(other.user('alice')).not.toBe(a.user('alice'));
  });

  it('makes pseudonyms of the same kind: addresses, numbers of the same shape', () => {
    const a = new Anonymizer(KEY);
    for (let i = 0; i < 200; i++) {
      expect(isIPv4(a.ip(`192.0.2.${i}`))).toBe(true);
      const v6 = a.ip(`2001:db8::${i.toString(16)}`);
      expect(isIPv6(v6)).toBe(true);
      expect(v6).toBe(new URL(`http://[${v6}]/`).hostname.slice(1, -1));
    }
    expect(a.user('+33 1 23 45 67 89')).toMatch(/^\+\d\d \d \d\d \d\d \d\d \d\d$/);
    expect(a.user('alice')).toMatch(/^user-[0-9a-f]{8}$/);
    expect(a.callId('1-2@[::1]')).toBe(`1-2@[${a.ip('::1')}]`);
    expect(a.callId('no-host-part')).toBe('no-host-part');
  });

  it('replaces in free text what it has seen, and addresses and URIs anywhere', () => {
    const a = new Anonymizer(KEY);
    const callId = a.callId('77@pc33.atlanta.example.com');
    a.party({ uri: 'sip:carol@example.com', user: 'carol', display: 'Carol Lewis' });
    const text = a.text('carol (Carol Lewis) called from 192.0.2.1:5060; see Call-ID 77@pc33.atlanta.example.com and tel:5551234');
    expect(text).toBe(`${a.user('carol')} (${a.displayName('Carol Lewis')}) called from ${a.ip('192.0.2.1')}:5060; see Call-ID ${callId} and tel:${a.user('5551234')}`);
  });

  it('knows the identities it learnt up front, whichever text comes first', () => {
    const collector = new IdentityCollector();
    collector.add(scanSip(Buffer.from(INVITE), { datagram: true }));
    const identities = collector.result();
    expect(identities.users.sort()).toEqual(['+15551234567', 'alice', 'bob']);
    expect(identities.displays.sort()).toEqual(['Alice Liddell', 'Bob Builder']);
    const a = new Anonymizer(KEY);
    a.learn(identities);
    expect(a.text('Hello Bob, this is ALICE (Alice Liddell) on +15551234567.')).toBe(
      `Hello ${a.user('bob')}, this is ${a.user('alice')} (${a.displayName('Alice Liddell')}) on ${a.user('+15551234567')}.`,
    );
  });

  it('cannot be tricked by placeholder characters in the input', () => {
    const a = new Anonymizer(KEY);
    const out = a.sipText('MESSAGE sip:bob@192.0.2.1 SIP/2.0\r\nSubject: \uE000\uE100\uE001 192.0.2.1\r\n\r\n');
    expect(out).not.toContain('192.0.2.1');
    expect(out).not.toMatch(/[\uE000-\uE10F]/);
    expect(out).toContain('Subject: \uFFFD\uFFFD\uFFFD ');
  });

  it('keeps bytes that are not UTF-8 as they were (latin1 round trip)', () => {
    const raw = Buffer.concat([Buffer.from('MESSAGE sip:bob@192.0.2.1 SIP/2.0\r\nContent-Length: 3\r\n\r\n'), Buffer.from([0xff, 0xfe, 0x80])]);
    const out = new Anonymizer(KEY).sipMessage(raw, 'latin1');
    expect(out.subarray(out.length - 3)).toEqual(Buffer.from([0xff, 0xfe, 0x80]));
    expect(out.toString('latin1')).toContain('Content-Length: 3\r\n');
  });

  it.each(corpusNames())('%s: the scanned fields of the anonymised text are the anonymised fields', async (name) => {
    const { raws } = await referenceAnalysis(corpusFile(name));
    const a = new Anonymizer(KEY);
    for (const raw of raws) {
      const head = scanSip(raw, { datagram: true });
      const out = a.sipMessage(raw, 'latin1');
      const scanned = scanSip(out, { datagram: true });
      const fields = a.message({ ...head, src: '192.0.2.1:5060', dst: '192.0.2.2:5060' } as Parameters<Anonymizer['message']>[0]);
      for (const key of ['callId', 'requestUri', 'fromUri', 'toUri', 'contactUri', 'fromDisplay', 'toDisplay', 'sentBy', 'authNonce', 'method', 'status', 'cseq', 'branch', 'fromTag', 'toTag', 'malformed'] as const) {
        expect(scanned[key], `${key} of ${head.cseq}`).toEqual(fields[key]);
      }
      expect(scanned.sdp === null).toBe(head.sdp === null);
      if (scanned.sdp) expect(scanned.sdp).toEqual(fields.sdp);
      expect(scanned.bodyLength).toBe(scanned.contentLength ?? scanned.bodyLength);
    }
  });
});
