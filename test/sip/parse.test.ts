// parseSipMessage and getHeaderValues on corpus messages and on messages written out here.
import { describe, expect, it } from 'vitest';
import { getHeaderValues, parseSipMessage, COMPACT_HEADER_NAMES } from '../../src/sip/index.js';
import { corpusMessages } from './corpus-messages.js';

const compactInvite = corpusMessages('compact-headers-multipart')[0].bytes;

describe('parseSipMessage', () => {
  it('lists the headers of the compact-form INVITE in order, names expanded, with byte ranges', () => {
    const msg = parseSipMessage(compactInvite);
    expect(msg).toMatchObject({ startLine: 'INVITE sip:bob@127.0.0.1:15400 SIP/2.0', isRequest: true, method: 'INVITE', requestUri: 'sip:bob@127.0.0.1:15400', malformed: null });
    expect(msg.headers.map((h) => [h.rawName, h.name])).toEqual([
      ['v', 'Via'], ['Max-Forwards', 'Max-Forwards'], ['f', 'From'], ['t', 'To'], ['i', 'Call-ID'], ['CSeq', 'CSeq'], ['m', 'Contact'],
      ['k', 'Supported'], ['s', 'Subject'], ['Allow', 'Allow'], ['Geolocation', 'Geolocation'], ['Geolocation-Routing', 'Geolocation-Routing'],
      ['c', 'Content-Type'], ['l', 'Content-Length'],
    ]);
    for (const header of msg.headers) {
      const line = compactInvite.toString('utf8', header.start, header.end);
      expect(line.startsWith(header.rawName + ':')).toBe(true);
      expect(line.endsWith(header.value)).toBe(true);
    }
    expect(compactInvite.toString('utf8', msg.startLineStart, msg.startLineEnd)).toBe(msg.startLine);
    // On the wire the continuation lines lost their leading whitespace: they are stray lines, as Wireshark says.
    expect(msg.strayLines.map((l) => l.text)).toEqual(['replaces', 'folded over two lines', 'OPTIONS, UPDATE']);
  });

  it('splits the multipart body into the SDP and the PIDF-LO parts', () => {
    const msg = parseSipMessage(compactInvite);
    expect(msg.body.length).toBe(770);
    expect(msg.bodyEnd - msg.bodyStart).toBe(770);
    expect(msg.parts.map((p) => p.contentType)).toEqual(['application/sdp', 'application/pidf+xml']);
    expect(msg.parts[0].body.toString()).toMatch(/^v=0\r\n[\s\S]*a=rtpmap:101 telephone-event\/8000\r\n$/);
    expect(msg.parts[1].headers.map((h) => [h.name, h.value])).toEqual([['Content-Type', 'application/pidf+xml'], ['Content-ID', '<alice-loc@sipladder.test>']]);
    expect(msg.parts[1].body.toString()).toMatch(/^<\?xml[\s\S]*<\/presence>$/);
    expect(msg.sdp?.media[0].codecs).toEqual(['PCMU/8000', 'telephone-event/8000']);
  });

  it('unfolds folded values and keeps their whole byte range', () => {
    const bytes = Buffer.from('OPTIONS sip:b@example.com SIP/2.0\r\nSubject: first line\r\n\t  second line\r\nk: timer,\r\n 100rel\r\nContent-Length: 0\r\n\r\n');
    const msg = parseSipMessage(bytes);
    expect(msg.headers.map((h) => [h.name, h.value])).toEqual([['Subject', 'first line second line'], ['Supported', 'timer, 100rel'], ['Content-Length', '0']]);
    expect(bytes.toString('utf8', msg.headers[0].start, msg.headers[0].end)).toBe('Subject: first line\r\n\t  second line');
    expect(getHeaderValues(msg, 'Supported')).toEqual(['timer', '100rel']);
  });

  it('gives a single part for a plain body and none for an empty one', () => {
    const [message] = corpusMessages('message-im');
    const msg = parseSipMessage(message.bytes);
    expect(msg.parts).toHaveLength(1);
    expect(msg.parts[0]).toMatchObject({ contentType: 'text/plain;charset=UTF-8', headers: [] });
    expect(msg.parts[0].body.equals(msg.body)).toBe(true);
    expect(parseSipMessage(corpusMessages('options-keepalive')[0].bytes).parts).toEqual([]);
  });

  it('reads a response and reports what the scanner finds malformed', () => {
    const msg = parseSipMessage(Buffer.from('SIP/2.0 486 Busy Here\r\nTo: <sip:b@x>\r\n\r\n'));
    expect(msg).toMatchObject({ isRequest: false, status: 486, reason: 'Busy Here', malformed: 'missing Call-ID; missing CSeq; missing From; missing Via' });
  });
});

describe('getHeaderValues', () => {
  const msg = parseSipMessage(compactInvite);

  it('splits list headers, by full or compact name, in any case', () => {
    expect(getHeaderValues(msg, 'via')).toEqual([
      'SIP/2.0/UDP 127.0.0.1:15401;branch=z9hG4bK-10660-1-0;rport',
      'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-up-1;received=192.0.2.10',
    ]);
    expect(getHeaderValues(msg, 'V')).toEqual(getHeaderValues(msg, 'Via'));
    expect(getHeaderValues(msg, 'Allow')).toEqual(['INVITE', 'ACK', 'CANCEL', 'BYE']);
    expect(getHeaderValues(msg, 'Call-ID')).toEqual(['1-10660@127.0.0.1']);
    expect(getHeaderValues(msg, 'Record-Route')).toEqual([]);
  });

  it('respects quotes and <> when splitting, and never splits single-value headers', () => {
    const other = parseSipMessage(Buffer.from([
      'SIP/2.0 401 Unauthorized',
      'From: "Doe, Jane" <sip:jane@example.com>;tag=1',
      'Contact: "A, \\"quoted\\"" <sip:a@example.com;x=1,2>;expires=60, <sip:b@example.com>',
      'Contact: *',
      'Record-Route: <sip:p1.example.com;lr>,<sip:p2.example.com;lr>',
      'WWW-Authenticate: Digest realm="r", nonce="n", qop="auth,auth-int"',
      'Content-Length: 0', '', '',
    ].join('\r\n')));
    expect(getHeaderValues(other, 'From')).toEqual(['"Doe, Jane" <sip:jane@example.com>;tag=1']);
    expect(getHeaderValues(other, 'm')).toEqual(['"A, \\"quoted\\"" <sip:a@example.com;x=1,2>;expires=60', '<sip:b@example.com>', '*']);
    expect(getHeaderValues(other, 'Record-Route')).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    expect(getHeaderValues(other, 'WWW-Authenticate')).toEqual(['Digest realm="r", nonce="n", qop="auth,auth-int"']);
  });
});

describe('COMPACT_HEADER_NAMES', () => {
  it('has every compact form of RFC 3261 §7.3.3 and the registered extensions', () => {
    expect(Object.keys(COMPACT_HEADER_NAMES).sort().join('')).toBe('abcdefijklmnorstuvxy');
    expect(COMPACT_HEADER_NAMES).toMatchObject({ i: 'Call-ID', f: 'From', t: 'To', v: 'Via', m: 'Contact', l: 'Content-Length', c: 'Content-Type', k: 'Supported', s: 'Subject', e: 'Content-Encoding', o: 'Event', u: 'Allow-Events', r: 'Refer-To', x: 'Session-Expires', y: 'Identity', b: 'Referred-By', a: 'Accept-Contact', j: 'Reject-Contact', d: 'Request-Disposition', n: 'Identity-Info' });
  });
});
