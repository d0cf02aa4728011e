// scanSip on hand-built messages: each case is a message written out line by line below (CRLF
// joined unless the case is about line endings), shaped after the corpus INVITE of
// call-basic-udp with the one property under test changed.
import { describe, expect, it } from 'vitest';
import { scanSip } from '../../src/sip/index.js';
import { corpusMessages } from './corpus-messages.js';

const SDP = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 127.0.0.1',
  's=call',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6004 RTP/AVP 0 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  '',
].join('\r\n');

const BASE_HEADERS = [
  'Via: SIP/2.0/UDP 127.0.0.1:15061;branch=z9hG4bK-1-1-0;rport',
  'Max-Forwards: 70',
  'From: "Alice" <sip:alice@sipladder.test>;tag=a1',
  'To: <sip:bob@sipladder.test>',
  'Call-ID: 1-1@127.0.0.1',
  'CSeq: 1 INVITE',
  'Contact: <sip:alice@127.0.0.1:15061;transport=UDP>',
];

/** A message from its lines: the start line, headers, then (after the empty line) the body. */
function message(lines: string[], body = '', eol = '\r\n'): Buffer {
  return Buffer.from(lines.join(eol) + eol + eol + body, 'utf8');
}

function invite(extraHeaders: string[] = [], body = ''): Buffer {
  const length = Buffer.byteLength(body);
  return message(['INVITE sip:bob@127.0.0.1:15060 SIP/2.0', ...BASE_HEADERS, ...extraHeaders, `Content-Length: ${length}`], body);
}

const udp = { datagram: true };
const tcp = { datagram: false };

describe('scanSip start line', () => {
  it('reads a request line', () => {
    const head = scanSip(invite(), udp);
    expect(head).toMatchObject({ isRequest: true, method: 'INVITE', requestUri: 'sip:bob@127.0.0.1:15060', status: null, reason: null, malformed: null });
  });

  it('reads a status line, reason phrase with spaces and UTF-8', () => {
    const head = scanSip(message(['SIP/2.0 480 Temporairement indisponible — réessayez', ...BASE_HEADERS, 'Content-Length: 0']), udp);
    expect(head).toMatchObject({ isRequest: false, method: null, status: 480, reason: 'Temporairement indisponible — réessayez', malformed: null });
  });

  it('takes an empty reason phrase', () => {
    expect(scanSip(message(['SIP/2.0 200 ', ...BASE_HEADERS, 'Content-Length: 0']), udp)).toMatchObject({ status: 200, reason: '', malformed: null });
  });

  it('ignores CRLFs before the start line (RFC 3261 §7.5)', () => {
    const head = scanSip(Buffer.concat([Buffer.from('\r\n\r\n'), invite()]), udp);
    expect(head).toMatchObject({ method: 'INVITE', malformed: null });
  });

  it.each([
    ['garbage', 'hello world'],
    ['no version', 'INVITE sip:bob@example.com'],
    ['wrong version', 'INVITE sip:bob@example.com SIP/3.0'],
    ['status out of range', 'SIP/2.0 700 Odd'],
    ['status not three digits', 'SIP/2.0 20 OK'],
    ['method with a bad character', 'INV(ITE sip:bob@example.com SIP/2.0'],
    ['empty request URI', 'INVITE  SIP/2.0'],
  ])('flags a bad start line: %s', (_case, startLine) => {
    const head = scanSip(message([startLine, ...BASE_HEADERS, 'Content-Length: 0']), udp);
    expect(head.malformed).toBe('bad start line');
    expect(head.callId).toBe('1-1@127.0.0.1');
  });
});

describe('scanSip headers', () => {
  it('reads the compact forms of the corpus compact-headers-multipart INVITE', () => {
    const [inviteBytes] = corpusMessages('compact-headers-multipart');
    const head = scanSip(inviteBytes.bytes, udp);
    expect(head).toMatchObject({
      callId: '1-10660@127.0.0.1',
      fromUri: 'sip:alice@sipladder.test', fromDisplay: 'Alice', fromTag: '10660SIPpTag001',
      toUri: 'sip:bob@sipladder.test', toTag: null,
      contactUri: 'sip:alice@127.0.0.1:15401;transport=UDP',
      contentType: 'multipart/mixed;boundary=boundary42', contentLength: 770, bodyLength: 770,
      branch: 'z9hG4bK-10660-1-0', sentBy: '127.0.0.1:15401', viaCount: 2,
      malformed: null,
    });
  });

  it('reads every compact form the scanner needs (i f t v m l c o x)', () => {
    const head = scanSip(message([
      'SUBSCRIBE sip:bob@example.com SIP/2.0',
      'v: SIP/2.0/TCP client.example.com:5060;branch=z9hG4bK74bf9',
      'f: <sip:alice@example.com>;tag=9fxced76sl',
      't: <sip:bob@example.com>',
      'i: 3848276298220188511@client.example.com',
      'CSeq: 7 SUBSCRIBE',
      'm: <sip:alice@client.example.com>;expires=600',
      'o: presence;id=1',
      'x: 1800;refresher=uac',
      'c: application/sdp',
      'l: 0',
    ]), tcp);
    expect(head).toMatchObject({
      branch: 'z9hG4bK74bf9', sentBy: 'client.example.com:5060', fromTag: '9fxced76sl', toUri: 'sip:bob@example.com',
      callId: '3848276298220188511@client.example.com', contactUri: 'sip:alice@client.example.com', contactExpires: 600,
      event: 'presence;id=1', sessionExpires: 1800, contentType: 'application/sdp', contentLength: 0, malformed: null,
    });
  });

  it('matches header names in any case', () => {
    const head = scanSip(message([
      'OPTIONS sip:bob@example.com SIP/2.0',
      'VIA: SIP/2.0/UDP 10.0.0.1:5060;BRANCH=z9hG4bKnashds8',
      'fRoM: <sip:alice@example.com>;TAG=1928301774',
      'to: <sip:bob@example.com>',
      'CALL-id: a84b4c76e66710',
      'cseq: 63104 OPTIONS',
      'I: should-not-replace-the-first-call-id',
      'content-LENGTH: 0',
    ]), udp);
    expect(head).toMatchObject({ branch: 'z9hG4bKnashds8', fromTag: '1928301774', callId: 'a84b4c76e66710', cseq: '63104 OPTIONS', contentLength: 0, malformed: null });
  });

  it('joins folded lines (RFC 3261 §7.3.1) and reads what follows them', () => {
    // The corpus capture lost its folding whitespace on the wire (SIPp trims lines), so the fold is built here.
    const head = scanSip(message([
      'INVITE sip:bob@127.0.0.1:15060 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.1:15061',
      '\t;branch=z9hG4bK-folded',
      'From: "Alice',
      '  Liddell" <sip:alice@sipladder.test>',
      '    ;tag=a1',
      'To:',
      ' <sip:bob@sipladder.test>',
      'Subject: a subject',
      '  over two lines',
      'Call-ID: 1-1@127.0.0.1',
      'CSeq: 1',
      '  INVITE',
      'User-Agent: Folding',
      '   Phone/1.0',
      'Content-Length: 0',
    ]), udp);
    expect(head).toMatchObject({
      branch: 'z9hG4bK-folded', sentBy: '127.0.0.1:15061', fromDisplay: 'Alice Liddell', fromTag: 'a1', toUri: 'sip:bob@sipladder.test',
      cseq: '1 INVITE', cseqSeq: 1, cseqMethod: 'INVITE', userAgent: 'Folding Phone/1.0', callId: '1-1@127.0.0.1', malformed: null,
    });
  });

  it('counts Via values: two in one line, another header, compact v: too; the top one is the first', () => {
    const head = scanSip(message([
      'SIP/2.0 200 OK',
      'v: SIP/2.0/UDP 127.0.0.1:15401;branch=z9hG4bK-top;rport=15401, SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-up-1;received=192.0.2.10',
      'Via: SIP/2.0/TCP [2001:db8::5]:5061;branch=z9hG4bK-third,SIP/2.0/TCP proxy.example.com;branch=z9hG4bK-fourth',
      'From: <sip:alice@sipladder.test>;tag=a1',
      'To: <sip:bob@sipladder.test>;tag=b1',
      'Call-ID: x',
      'CSeq: 1 INVITE',
      'Content-Length: 0',
    ]), udp);
    expect(head).toMatchObject({ viaCount: 4, branch: 'z9hG4bK-top', sentBy: '127.0.0.1:15401', malformed: null });
  });

  it('keeps an IPv6 sent-by in brackets, with and without port', () => {
    const withPort = scanSip(message(['SIP/2.0 100 Trying', 'Via: SIP/2.0/UDP [::1]:15201;branch=z9hG4bK-7647-1-0;rport', ...BASE_HEADERS.slice(2), 'Content-Length: 0']), udp);
    expect(withPort).toMatchObject({ sentBy: '[::1]:15201', branch: 'z9hG4bK-7647-1-0', viaCount: 1 });
    const noPort = scanSip(message(['SIP/2.0 100 Trying', 'Via: SIP/2.0/TLS [2001:db8::1];branch=z9hG4bK-v6', ...BASE_HEADERS.slice(2), 'Content-Length: 0']), udp);
    expect(noPort).toMatchObject({ sentBy: '[2001:db8::1]', branch: 'z9hG4bK-v6' });
  });

  it('removes the whitespace RFC 3261 allows inside sent-by and sent-protocol', () => {
    const head = scanSip(message(['SIP/2.0 100 Trying', 'Via: SIP / 2.0 / UDP host.example.com : 5060 ;branch=z9hG4bK-ws', ...BASE_HEADERS.slice(2), 'Content-Length: 0']), udp);
    expect(head).toMatchObject({ sentBy: 'host.example.com:5060', branch: 'z9hG4bK-ws' });
  });

  it('reads parameters named in upper case or with spaces around them, and a sent-protocol in lower case', () => {
    const head = scanSip(message([
      'SIP/2.0 180 Ringing',
      'Via: sip/2.0/udp 127.0.0.1:15061;BRANCH=z9hG4bK-up;rport',
      'From: "Alice" <sip:alice@sipladder.test> ; Tag=a1',
      'To: <sip:bob@sipladder.test>;TAG = b1',
      'Call-ID: 1-1@127.0.0.1',
      'CSeq: 1 INVITE',
      'Content-Length: 0',
    ]), udp);
    expect(head).toMatchObject({ sentBy: '127.0.0.1:15061', branch: 'z9hG4bK-up', fromDisplay: 'Alice', fromTag: 'a1', toTag: 'b1', malformed: null });
  });

  it('reads methods and reason phrases as written, the usual ones and others alike', () => {
    const request = (method: string) => scanSip(message([`${method} sip:bob@127.0.0.1 SIP/2.0`, ...BASE_HEADERS.slice(0, 5), `CSeq: 7 ${method}`, 'Content-Length: 0']), udp);
    for (const method of ['INVITE', 'ACK', 'SUBSCRIBE', 'invite', 'FOO', 'INVITES']) {
      expect(request(method)).toMatchObject({ isRequest: true, method, cseqMethod: method, cseq: `7 ${method}`, malformed: null });
    }
    const response = (line: string) => scanSip(message([line, ...BASE_HEADERS, 'Content-Length: 0']), udp).reason;
    expect(['SIP/2.0 200 OK', 'SIP/2.0 200 Fine', 'SIP/2.0 486 Busy Here', 'SIP/2.0 486 busy here', 'SIP/2.0 100 Trying'].map(response))
      .toEqual(['OK', 'Fine', 'Busy Here', 'busy here', 'Trying']);
  });

  it('reads quoted display names with commas, semicolons, angle brackets and escaped quotes', () => {
    const bytes = Buffer.from(invite().toString('utf8')
      .replace('From: "Alice" <sip:alice@sipladder.test>;tag=a1', 'From: "Smith, John \\"JJ\\" <boss>; x" <sip:john@example.com;user=phone>;tag=t-1;x=y')
      .replace('To: <sip:bob@sipladder.test>', 'To: Bob Jones <sip:bob@example.com>'));
    const head = scanSip(bytes, udp);
    expect(head).toMatchObject({
      fromDisplay: 'Smith, John "JJ" <boss>; x', fromUri: 'sip:john@example.com;user=phone', fromTag: 't-1',
      toDisplay: 'Bob Jones', toUri: 'sip:bob@example.com', toTag: null, malformed: null,
    });
  });

  it('reads UTF-8 display names and keeps ASCII fields exact around them', () => {
    const head = scanSip(Buffer.from(invite().toString('utf8')
      .replace('From: "Alice"', 'From: "Zoë Ångström 山田"')
      .replace('To: <sip:bob@sipladder.test>', 'To: Jürgen <sip:j%C3%BCrgen@sipladder.test>;tag=ü-tag'), 'utf8'), udp);
    expect(head).toMatchObject({
      fromDisplay: 'Zoë Ångström 山田', fromUri: 'sip:alice@sipladder.test', fromTag: 'a1',
      toDisplay: 'Jürgen', toUri: 'sip:j%C3%BCrgen@sipladder.test', callId: '1-1@127.0.0.1', malformed: null,
    });
    // A tag is a token: its bytes are kept one character per byte (latin1), never merged.
    expect(Buffer.from(head.toTag!, 'latin1').toString('utf8')).toBe('ü-tag');
  });

  it('reads addr-spec From/To (no angle brackets): the parameters are header parameters', () => {
    const head = scanSip(message([
      'BYE sip:bob@192.0.2.4 SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKnashds7',
      'From: sip:alice@example.com;tag=abc',
      'To: sip:bob@example.com ; tag = def',
      'Call-ID: 1@x',
      'CSeq: 2 BYE',
      'Content-Length: 0',
    ]), udp);
    expect(head).toMatchObject({ fromUri: 'sip:alice@example.com', fromTag: 'abc', fromDisplay: null, toUri: 'sip:bob@example.com', toTag: 'def', sentBy: '192.0.2.1' });
  });

  it('normalises the CSeq spacing and keeps the method as written', () => {
    const head = scanSip(Buffer.from(invite().toString().replace('CSeq: 1 INVITE', 'CSeq:   0042 \t INVITE  ')), udp);
    expect(head).toMatchObject({ cseq: '42 INVITE', cseqSeq: 42, cseqMethod: 'INVITE', malformed: null });
  });

  it('reads the numbers and texts of the optional headers', () => {
    const head = scanSip(message([
      'SIP/2.0 503 Service Unavailable',
      ...BASE_HEADERS,
      'Retry-After: 18000 (in maintenance);duration=3600',
      'Expires: 3600',
      'Min-Expires: 60',
      'RSeq: 988789',
      'RAck: 776656 1 INVITE',
      'Session-Expires: 4000;refresher=uas',
      'Subscription-State: terminated;reason=timeout',
      'Event: presence',
      'Server: Example Proxy/2.1',
      'User-Agent: Should Not Win/1.0',
      'X-Call-ID: other-leg@b2bua',
      'P-Charging-Vector: icid-value="AyretyU0dm+6O2IrT5tAFrbHLso=023551024";icid-generated-at=192.0.6.8;orig-ioi=home1.net',
      'Content-Length: 0',
    ]), udp);
    expect(head).toMatchObject({
      retryAfter: 18000, expires: 3600, minExpires: 60, rseq: 988789, rack: '776656 1 INVITE', sessionExpires: 4000,
      subscriptionState: 'terminated;reason=timeout', event: 'presence', userAgent: 'Example Proxy/2.1',
      xCallId: 'other-leg@b2bua', icid: 'AyretyU0dm+6O2IrT5tAFrbHLso=023551024', malformed: null,
    });
  });

  it('takes User-Agent for requests and Server when that is all there is', () => {
    expect(scanSip(invite(['Server: S/1', 'User-Agent: UA/1']), udp).userAgent).toBe('UA/1');
    expect(scanSip(invite(['Server: S/1']), udp).userAgent).toBe('S/1');
  });

  it('reads X-CID and X-Orig-Call-ID as the other leg', () => {
    expect(scanSip(invite(['X-CID: leg-b']), udp).xCallId).toBe('leg-b');
    expect(scanSip(invite(['x-orig-call-id: leg-c']), udp).xCallId).toBe('leg-c');
  });

  it('reads realm and nonce of a challenge and of credentials', () => {
    const challenge = scanSip(message([
      'SIP/2.0 407 Proxy Authentication Required', ...BASE_HEADERS,
      'Proxy-Authenticate: Digest realm="atlanta, example.com", qop="auth,auth-int", nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5',
      'Content-Length: 0',
    ]), udp);
    expect(challenge).toMatchObject({ authRealm: 'atlanta, example.com', authNonce: 'f84f1cec41e6cbe5aea9c8e88d359', hasCredentials: false });
    const credentials = scanSip(invite(['Authorization: Digest username="alice", realm=biloxi.com, nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.com", response="245f23415f11432b3434341c022"']), udp);
    expect(credentials).toMatchObject({ authRealm: 'biloxi.com', authNonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', hasCredentials: true });
    expect(scanSip(invite(['Proxy-Authorization: Digest username="a", realm="r", nonce="n"']), udp).hasCredentials).toBe(true);
    // A challenge header in a request is not where its realm comes from.
    expect(scanSip(invite(['WWW-Authenticate: Digest realm="wrong", nonce="x"', 'Authorization: Digest realm="right", nonce="y"']), udp)).toMatchObject({ authRealm: 'right', authNonce: 'y' });
  });

  it('follows the digest exchange and the binding of the corpus register-digest capture', () => {
    const heads = corpusMessages('register-digest').map((m) => scanSip(m.bytes, udp));
    expect(heads.map((h) => [h.method ?? h.status, h.authRealm, h.authNonce, h.hasCredentials, h.expires, h.contactExpires])).toEqual([
      ['REGISTER', null, null, false, 3600, null],
      [401, 'sipladder.test', '5f1c2a9e320651b7d04e3a', false, null, null],
      ['REGISTER', 'sipladder.test', '5f1c2a9e320651b7d04e3a', true, 3600, null],
      [200, null, null, false, null, 3600],
      ['REGISTER', 'sipladder.test', '5f1c2a9e320651b7d04e3a', true, 0, null],
      [200, null, null, false, null, null],
    ]);
    expect(heads[0].contactUri).toBe('sip:alice@127.0.0.1:15071;transport=UDP');
  });

  it('reads the expires parameter of the first Contact', () => {
    const head = scanSip(message([
      'SIP/2.0 200 OK', ...BASE_HEADERS.filter((h) => !h.startsWith('Contact')),
      'Contact: <sip:alice@192.0.2.4;transport=tcp>;q=0.7;expires=3600, <sip:alice@192.0.2.5>;expires=60',
      'Content-Length: 0',
    ]), udp);
    expect(head).toMatchObject({ contactUri: 'sip:alice@192.0.2.4;transport=tcp', contactExpires: 3600 });
  });

  it('tolerates lone LF line endings as Wireshark does', () => {
    const head = scanSip(message(['INVITE sip:bob@127.0.0.1:15060 SIP/2.0', ...BASE_HEADERS, 'Content-Type: application/sdp', `Content-Length: ${SDP.length}`], SDP, '\n'), udp);
    expect(head).toMatchObject({ method: 'INVITE', callId: '1-1@127.0.0.1', cseq: '1 INVITE', contentLength: SDP.length, bodyLength: SDP.length, malformed: null });
    expect(head.sdp?.media[0]).toMatchObject({ port: 6004, codecs: ['PCMU/8000', 'telephone-event/8000'] });
  });

  it('ignores a line without a colon and reads the headers after it', () => {
    const head = scanSip(message(['INVITE sip:bob@127.0.0.1:15060 SIP/2.0', ...BASE_HEADERS.slice(0, 3), 'this line has no colon', ...BASE_HEADERS.slice(3), 'Content-Length: 0']), udp);
    expect(head).toMatchObject({ toUri: 'sip:bob@sipladder.test', callId: '1-1@127.0.0.1', malformed: null });
  });

  it('finds a name by its first colon, spaces before it allowed, and skips names that only look like known ones', () => {
    const head = scanSip(message([
      'INVITE sip:bob@127.0.0.1:15060 SIP/2.0',
      'Via \t: SIP/2.0/UDP 127.0.0.1:15061;branch=z9hG4bK-spaced',
      // Same length, first and last letter as CSeq, Call-ID and To: not them.
      'CSeR: 99 BYE',
      'Call-Id-X: wrong',
      'Ta: <sip:wrong@sipladder.test>',
      'Subject: colons: inside: the value',
      'From: <sip:alice@sipladder.test>;tag=a1',
      'To: <sip:bob@sipladder.test>',
      'Call-ID  : 1-1@127.0.0.1',
      'CSeq: 1 INVITE',
      'No colon on this line',
      'Content-Length: 0',
    ]), udp);
    expect(head).toMatchObject({
      branch: 'z9hG4bK-spaced', callId: '1-1@127.0.0.1', cseq: '1 INVITE', toUri: 'sip:bob@sipladder.test', malformed: null,
    });
  });

  it('takes a colon on a folded continuation line as the end of a name that then matches nothing', () => {
    // "Call-ID" CRLF SP ": x": the name runs to the first colon, line break included, as Wireshark reads it.
    const head = scanSip(message(['INVITE sip:bob@127.0.0.1:15060 SIP/2.0', ...BASE_HEADERS.filter((h) => !h.startsWith('Call-ID')), 'Call-ID', ' : folded-1@127.0.0.1', 'Content-Length: 0']), udp);
    expect(head.callId).toBeNull();
    expect(head.malformed).toBe('missing Call-ID');
  });

  it('reads ASCII fields exactly when another header holds bytes that are not UTF-8', () => {
    const bytes = Buffer.concat([
      Buffer.from('SIP/2.0 180 Ringing\r\nSubject: caf', 'latin1'), Buffer.from([0xe9, 0xff]),
      Buffer.from(`\r\n${BASE_HEADERS.join('\r\n')}\r\nUser-Agent: Phone\r\nContent-Length: 0\r\n\r\n`, 'latin1'),
    ]);
    const head = scanSip(bytes, udp);
    expect(head).toMatchObject({
      status: 180, reason: 'Ringing', callId: '1-1@127.0.0.1', branch: 'z9hG4bK-1-1-0', sentBy: '127.0.0.1:15061', fromDisplay: 'Alice',
      fromUri: 'sip:alice@sipladder.test', fromTag: 'a1', toUri: 'sip:bob@sipladder.test', cseq: '1 INVITE', cseqMethod: 'INVITE',
      contactUri: 'sip:alice@127.0.0.1:15061;transport=UDP', userAgent: 'Phone', malformed: null,
    });
  });

  it('carries nothing over from one message to the next', () => {
    const full = scanSip(invite(['Content-Type: application/sdp', 'User-Agent: Phone', 'Event: presence', 'RAck: 1 1 INVITE', 'X-Call-ID: other-leg', 'Authorization: Digest realm="r", nonce="n"']), udp);
    expect(full).toMatchObject({ userAgent: 'Phone', event: 'presence', rack: '1 1 INVITE', xCallId: 'other-leg', authRealm: 'r', authNonce: 'n' });
    const bare = scanSip(message(['SIP/2.0 100 Trying', 'Content-Length: 0']), udp);
    expect(bare).toMatchObject({
      method: null, requestUri: null, callId: null, cseq: null, cseqMethod: null, branch: null, sentBy: null, fromUri: null, fromTag: null,
      toUri: null, toTag: null, contactUri: null, contentType: null, userAgent: null, event: null, rack: null, xCallId: null,
      authRealm: null, authNonce: null, reason: 'Trying',
    });
  });
});

describe('scanSip body', () => {
  it('reads the SDP of an application/sdp body', () => {
    const head = scanSip(invite(['Content-Type: application/sdp'], SDP), udp);
    expect(head.sdp).toEqual({
      origin: 'alice 2890844526 2890844526 IN IP4 127.0.0.1',
      address: '127.0.0.1',
      media: [{ media: 'audio', port: 6004, proto: 'RTP/AVP', formats: ['0', '101'], codecs: ['PCMU/8000', 'telephone-event/8000'], address: '127.0.0.1', direction: 'sendrecv' }],
    });
  });

  it('reads the SDP part of a multipart body with SDP and PIDF (corpus compact-headers-multipart)', () => {
    const head = scanSip(corpusMessages('compact-headers-multipart')[0].bytes, udp);
    expect(head.sdp?.media).toEqual([
      { media: 'audio', port: 6004, proto: 'RTP/AVP', formats: ['0', '101'], codecs: ['PCMU/8000', 'telephone-event/8000'], address: '127.0.0.1', direction: 'sendrecv' },
    ]);
  });

  it('finds SDP inside a nested multipart', () => {
    const body = [
      '--outer',
      'Content-Type: multipart/alternative; boundary="inner b"',
      '',
      '--inner b',
      'Content-Type: text/plain',
      '',
      'hello',
      '--inner b',
      'Content-Type: application/sdp',
      '',
      SDP.replace('a=rtpmap:0 PCMU/8000', 'a=sendonly\r\na=rtpmap:0 PCMU/8000'),
      '--inner b--',
      '--outer--',
      '',
    ].join('\r\n');
    const head = scanSip(invite(['Content-Type: multipart/mixed;boundary=outer'], body), udp);
    expect(head.sdp?.media[0]).toMatchObject({ port: 6004, direction: 'sendonly' });
  });

  it('has no SDP for other bodies', () => {
    expect(scanSip(invite(['Content-Type: text/plain'], 'v=0\r\n'), udp).sdp).toBeNull();
  });

  it('takes the rest of a datagram as the body when Content-Length is absent', () => {
    const bytes = message(['MESSAGE sip:bob@example.com SIP/2.0', ...BASE_HEADERS, 'Content-Type: text/plain'], 'Hello, Bob');
    expect(scanSip(bytes, udp)).toMatchObject({ contentLength: null, bodyLength: 10, malformed: null });
  });

  it('takes exactly Content-Length bytes when the datagram holds more', () => {
    const bytes = Buffer.concat([invite(['Content-Type: text/plain'], 'abc'), Buffer.from('trailing junk')]);
    expect(scanSip(bytes, udp)).toMatchObject({ contentLength: 3, bodyLength: 3, malformed: null });
  });
});

describe('scanSip malformed reasons', () => {
  const withoutHeader = (prefix: string) => Buffer.from(invite().toString().split('\r\n').filter((l) => !l.startsWith(prefix)).join('\r\n'));

  it.each([
    ['Call-ID', 'missing Call-ID'],
    ['CSeq', 'missing CSeq'],
    ['From', 'missing From'],
    ['To', 'missing To'],
    ['Via', 'missing Via'],
  ])('flags a message without %s', (header, reason) => {
    const head = scanSip(withoutHeader(header + ':'), udp);
    expect(head.malformed).toBe(reason);
    expect(head.method).toBe('INVITE');
  });

  it.each([
    ['no number', 'CSeq: INVITE'],
    ['no method', 'CSeq: 1'],
    ['eleven digits', 'CSeq: 12345678901 INVITE'],
    ['trailing junk', 'CSeq: 1 INVITE extra'],
  ])('flags a bad CSeq: %s', (_case, line) => {
    const head = scanSip(Buffer.from(invite().toString().replace('CSeq: 1 INVITE', line)), udp);
    expect(head).toMatchObject({ malformed: 'bad CSeq', cseq: null });
  });

  it('flags an empty Call-ID as missing', () => {
    expect(scanSip(Buffer.from(invite().toString().replace('Call-ID: 1-1@127.0.0.1', 'Call-ID:   ')), udp).malformed).toBe('missing Call-ID');
  });

  it('flags a From without a URI and a Via without a sent-by', () => {
    expect(scanSip(Buffer.from(invite().toString().replace('<sip:alice@sipladder.test>', '<sip:alice@sipladder.test')), udp).malformed).toBe('bad From');
    expect(scanSip(Buffer.from(invite().toString().replace('To: <sip:bob@sipladder.test>', 'To: ')), udp).malformed).toBe('bad To');
    expect(scanSip(Buffer.from(invite().toString().replace('Via: SIP/2.0/UDP 127.0.0.1:15061', 'Via: SIP/2.0/UDP')), udp).malformed).toBe('bad Via');
  });

  it('flags a truncated body and counts the bytes that are there', () => {
    const full = invite(['Content-Type: application/sdp'], SDP);
    const cut = full.subarray(0, full.length - 20);
    const head = scanSip(cut, udp);
    expect(head.malformed).toBe(`truncated body: ${SDP.length - 20} of ${SDP.length} bytes`);
    expect(head).toMatchObject({ contentLength: SDP.length, bodyLength: SDP.length - 20 });
  });

  it('flags a message whose headers never end', () => {
    const head = scanSip(Buffer.from('INVITE sip:bob@127.0.0.1:15060 SIP/2.0\r\n' + BASE_HEADERS.join('\r\n') + '\r\nContent-Length: 0\r\n'), udp);
    expect(head).toMatchObject({ malformed: 'no header end', callId: '1-1@127.0.0.1', bodyLength: 0 });
  });

  it('flags a bad Content-Length and a missing one on a stream', () => {
    expect(scanSip(Buffer.from(invite().toString().replace('Content-Length: 0', 'Content-Length: ten')), udp).malformed).toBe('bad Content-Length');
    const noLength = message(['OPTIONS sip:bob@example.com SIP/2.0', ...BASE_HEADERS]);
    expect(scanSip(noLength, tcp)).toMatchObject({ malformed: 'missing Content-Length on a stream transport', bodyLength: 0 });
    expect(scanSip(noLength, udp).malformed).toBeNull();
  });

  it('lists every reason that applies', () => {
    const head = scanSip(Buffer.from('BOGUS\r\nContent-Length: 5\r\n\r\nab'), udp);
    expect(head.malformed).toBe('bad start line; missing Call-ID; missing CSeq; missing From; missing To; missing Via; truncated body: 2 of 5 bytes');
  });

  it('reads empty input as malformed without throwing', () => {
    expect(scanSip(Buffer.alloc(0), udp)).toMatchObject({ isRequest: false, viaCount: 0, bodyLength: 0, malformed: 'bad start line; missing Call-ID; missing CSeq; missing From; missing To; missing Via; no header end' });
  });
});
