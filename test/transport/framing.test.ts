// Recognising SIP by its first line and framing it by Content-Length, on real corpus messages.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { looksLikeSip, sipMessageLength } from '../../src/transport/index.js';
import { CORPUS, corpusMessages, decodeFile } from './helpers.js';

const b = (text: string) => Buffer.from(text, 'latin1');

/** One message of each kind the corpus holds: every method and status line it has. */
const SAMPLES = [
  ...corpusMessages('call-prack-update-info'),
  ...corpusMessages('subscribe-notify'),
  ...corpusMessages('register-digest'),
  ...corpusMessages('compact-headers-multipart'),
  ...corpusMessages('message-im'),
  ...corpusMessages('call-cancel-487'),
];

describe('looksLikeSip', () => {
  it('accepts the start line of every corpus message, at any offset', () => {
    for (const m of SAMPLES) {
      expect(looksLikeSip(m, 0), m.toString('latin1', 0, 40)).toBe(true);
      expect(looksLikeSip(Buffer.concat([b('xyz'), m]), 3)).toBe(true);
    }
  });

  it('accepts any token method, an empty reason phrase, a bare LF and a lower-case "sip/2.0"', () => {
    expect(looksLikeSip(b('FOO-BAR.x sip:a@b SIP/2.0\r\n'), 0)).toBe(true);
    expect(looksLikeSip(b('SIP/2.0 200 \r\n'), 0)).toBe(true);
    expect(looksLikeSip(b('OPTIONS tel:+15551234 SIP/2.0\n'), 0)).toBe(true);
    expect(looksLikeSip(b('INVITE sip:a@b sip/2.0\r\n'), 0)).toBe(true);
  });

  it('rejects other protocols, broken start lines and lines cut before their end', () => {
    for (const text of [
      'GET / HTTP/1.1\r\n', 'HTTP/1.1 200 OK\r\n', 'SSH-2.0-OpenSSH_9.2\r\n', 'SIP/2.0 20 OK\r\n', 'SIP/2.0 2000 OK\r\n',
      'SIP/3.0 200 OK\r\n', 'INVITE  sip:a@b SIP/2.0\r\n', 'INVITE sip:a@b SIP/2.0 \r\n', 'INV(ITE sip:a@b SIP/2.0\r\n',
      'INVITE sip:a@b', 'SIP/2.0 180', '', '\r\nINVITE sip:a@b SIP/2.0\r\n', 'A'.repeat(40) + ' sip:a@b SIP/2.0\r\n',
    ]) {
      expect(looksLikeSip(b(text), 0), JSON.stringify(text)).toBe(false);
    }
    expect(looksLikeSip(b(`INVITE sip:${'a'.repeat(5000)} SIP/2.0\r\n`), 0)).toBe(false);
    expect(looksLikeSip(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]), 0)).toBe(false);
  });
});

describe('sipMessageLength', () => {
  it('is the length of each corpus message, alone or followed by others', () => {
    for (const m of SAMPLES) {
      expect(sipMessageLength(m, 0, m.length)).toBe(m.length);
      const two = Buffer.concat([m, m]);
      expect(sipMessageLength(two, m.length, two.length)).toBe(m.length);
    }
  });

  it('needs more bytes until the header and then the body are complete', () => {
    const m = SAMPLES.find((x) => x.toString('latin1').startsWith('INVITE'))!;
    const blank = m.indexOf('\r\n\r\n');
    expect(blank).toBeGreaterThan(0);
    for (const end of [1, 10, blank, blank + 3, blank + 4, m.length - 1]) expect(sipMessageLength(m, 0, end), `end ${end}`).toBe(-1);
    expect(sipMessageLength(m, 0, m.length)).toBe(m.length);
  });

  it('is -2 where no SIP message starts', () => {
    expect(sipMessageLength(b('HTTP/1.1 200 OK\r\n\r\n'), 0, 19)).toBe(-2);
    expect(sipMessageLength(b('\r\n\r\nINVITE'), 0, 10)).toBe(-2);
  });

  it('reads Content-Length in any case, the compact "l", whitespace before the colon and folded values', () => {
    const head = 'MESSAGE sip:a@b SIP/2.0\r\nCall-ID: x\r\n';
    for (const header of ['Content-Length: 5', 'content-length:5', 'CONTENT-LENGTH  :  5', 'l: 5', 'L:5', 'Content-Length:\r\n  5', 'l:\r\n\t5']) {
      const msg = b(`${head}${header}\r\n\r\nhello`);
      expect(sipMessageLength(msg, 0, msg.length), header).toBe(msg.length);
    }
    // Look-alikes are not it: Content-Length-X, lr, Location.
    const other = b(`${head}Content-Length-X: 9\r\nlr: 9\r\nLocation: 9\r\n\r\n`);
    expect(sipMessageLength(other, 0, other.length)).toBe(other.length);
  });

  it('a missing or unreadable Content-Length means no body (RFC 3261 §18.3: it is mandatory on streams)', () => {
    const none = b('ACK sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\nINVITE');
    expect(sipMessageLength(none, 0, none.length)).toBe(none.length - 6);
    const bad = b('ACK sip:a@b SIP/2.0\r\nContent-Length: many\r\n\r\n');
    expect(sipMessageLength(bad, 0, bad.length)).toBe(bad.length);
  });

  it('agrees with tshark on every TCP corpus message (reassembled from the capture)', () => {
    for (const name of ['call-basic-tcp', 'tcp-coalesced-and-split', 'tcp-big-sdp-segments']) {
      for (const m of decodeFile(join(CORPUS, name, `${name}.pcapng`)).messages) {
        expect(sipMessageLength(m.bytes, 0, m.bytes.length)).toBe(m.bytes.length);
      }
    }
  });
});
