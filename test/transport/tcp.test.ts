// TCP reassembly and SIP framing on streams, with segments built around real SIP messages of
// the corpus (call-basic-tcp: an INVITE with SDP, 100, 180, 200 with SDP, ACK, BYE, 200, ...).
import { describe, expect, it } from 'vitest';
import { ACK, FIN, PSH, RST, SYN, TcpScript, corpusMessages } from './helpers.js';

const CALL = corpusMessages('call-basic-tcp');
const INVITE = CALL[0];
const TRYING = CALL[1];
const RINGING = CALL[2];
const OK = CALL[3];
const ACK_REQUEST = CALL[4];
const OK_TEXT = OK.toString('latin1');
const ACK_TEXT = ACK_REQUEST.toString('latin1');

function firstLines(texts: { text: string }[]): string[] {
  return texts.map((m) => m.text.slice(0, m.text.indexOf('\r\n')));
}

describe('TCP: in order', () => {
  it('finds the real messages the corpus test found, byte for byte', () => {
    expect(INVITE.toString('latin1')).toMatch(/^INVITE sip:/);
    expect(OK.toString('latin1')).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    const s = new TcpScript();
    s.handshake();
    s.send('client', INVITE);
    s.send('server', Buffer.concat([TRYING, RINGING]));
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([INVITE, TRYING, RINGING]);
    expect(messages.map((m) => m.indexInFrame)).toEqual([0, 0, 1]);
    expect(messages.map((m) => m.transport)).toEqual(['TCP', 'TCP', 'TCP']);
    expect(messages[0]).toMatchObject({ srcIp: '192.0.2.10', srcPort: 5060, dstIp: '192.0.2.20', dstPort: 5061, ipVersion: 4 });
    expect(messages[1]).toMatchObject({ srcIp: '192.0.2.20', srcPort: 5061, dstIp: '192.0.2.10', dstPort: 5060 });
    expect(warnings).toEqual([]);
  });

  it('a message split at every byte position: one message, from both frames, completed by the second', () => {
    for (let cut = 1; cut < OK.length; cut++) {
      const s = new TcpScript();
      s.handshake();
      const first = s.send('server', OK.subarray(0, cut));
      const second = s.send('server', Buffer.concat([OK.subarray(cut), ACK_REQUEST]));
      const { messages, warnings } = s.finish();
      expect(messages.map((m) => m.text), `cut at ${cut}`).toEqual([OK_TEXT, ACK_TEXT]);
      expect(messages[0].frames, `cut at ${cut}`).toEqual([first, second]);
      expect(messages[0].frame).toBe(second);
      expect(messages[1]).toMatchObject({ frame: second, frames: [second], indexInFrame: 1 });
      expect(warnings).toEqual([]);
    }
  });

  it('a message over many one-byte segments', () => {
    const s = new TcpScript();
    s.handshake();
    const frames: number[] = [];
    for (let i = 0; i < INVITE.length; i++) frames.push(s.send('client', INVITE.subarray(i, i + 1)));
    const { messages } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([INVITE]);
    expect(messages[0].frames).toEqual(frames);
  });

  it('CRLF and CRLFCRLF keep-alives between messages are skipped (RFC 5626 §3.5.1)', () => {
    const s = new TcpScript();
    s.handshake();
    s.send('client', '\r\n\r\n');
    s.send('client', Buffer.concat([INVITE, Buffer.from('\r\n')]));
    s.send('client', '\r\n');
    s.send('server', Buffer.concat([Buffer.from('\r\n\r\n'), TRYING, Buffer.from('\r\n\r\n'), RINGING]));
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([INVITE, TRYING, RINGING]);
    expect(warnings).toEqual([]);
  });

  it('a message without Content-Length has an empty body on a stream (RFC 3261 §18.3)', () => {
    const noLength = Buffer.from(TRYING.toString('latin1').replace(/Content-Length: *0\r\n/i, ''), 'latin1');
    expect(noLength.toString('latin1')).not.toMatch(/content-length/i);
    const s = new TcpScript();
    s.handshake();
    s.send('server', Buffer.concat([noLength, RINGING]));
    expect(s.finish().messages.map((m) => m.bytes)).toEqual([noLength, RINGING]);
  });

  it('compact "l:" and a Content-Length folded onto a continuation line frame the message', () => {
    const body = INVITE.subarray(INVITE.indexOf('\r\n\r\n') + 4);
    const head = INVITE.subarray(0, INVITE.indexOf('\r\n\r\n') + 2).toString('latin1');
    const compact = Buffer.concat([Buffer.from(head.replace(/Content-Length: *\d+/i, `l :${body.length}`), 'latin1'), Buffer.from('\r\n'), body]);
    const folded = Buffer.concat([Buffer.from(head.replace(/Content-Length: *\d+/i, `content-LENGTH:\r\n   ${body.length}`), 'latin1'), Buffer.from('\r\n'), body]);
    const s = new TcpScript();
    s.handshake();
    s.send('client', Buffer.concat([compact, folded, ACK_REQUEST]));
    expect(s.finish().messages.map((m) => m.bytes)).toEqual([compact, folded, ACK_REQUEST]);
  });
});

describe('TCP: sequence order', () => {
  it('out-of-order segments are held and put back in order', () => {
    const s = new TcpScript();
    s.handshake();
    const seq = s.clientSeq;
    const a = INVITE.subarray(0, 300);
    const b = INVITE.subarray(300, 600);
    const c = Buffer.concat([INVITE.subarray(600), ACK_REQUEST]);
    const fc = s.raw('client', seq + 600, PSH | ACK, c);
    const fb = s.raw('client', seq + 300, PSH | ACK, b);
    expect(s.collector.messages).toEqual([]);
    const fa = s.raw('client', seq, PSH | ACK, a);
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([INVITE, ACK_REQUEST]);
    // The INVITE's bytes came from frames fa, fb, fc in stream order; the last of its bytes came with fc.
    expect(messages[0]).toMatchObject({ frames: [fa, fb, fc], frame: fc });
    expect(warnings).toEqual([]);
  });

  it('retransmitted segments are dropped by sequence number, even when their bytes differ', () => {
    const s = new TcpScript();
    s.handshake();
    const seq = s.clientSeq;
    s.send('client', INVITE);
    // Same sequence numbers, other bytes: still a retransmission (nothing is compared but numbers).
    s.raw('client', seq, PSH | ACK, ACK_REQUEST.subarray(0, INVITE.length));
    s.raw('client', seq, PSH | ACK, INVITE);
    s.send('client', ACK_REQUEST);
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([INVITE, ACK_REQUEST]);
    expect(warnings).toEqual([]);
  });

  it('overlapping segments: only the bytes beyond those passed on are used', () => {
    const s = new TcpScript();
    s.handshake();
    const seq = s.clientSeq;
    s.raw('client', seq, PSH | ACK, INVITE.subarray(0, 500));
    // Overlaps 100 bytes already seen (they are garbage here: a stack would resend the same bytes).
    const overlap = Buffer.concat([Buffer.alloc(100, 0x58), INVITE.subarray(500)]);
    s.raw('client', seq + 400, PSH | ACK, overlap);
    // Held out-of-order segments that overlap each other.
    s.raw('client', seq + INVITE.length + 10, PSH | ACK, ACK_REQUEST.subarray(10));
    s.raw('client', seq + INVITE.length, PSH | ACK, ACK_REQUEST.subarray(0, 20));
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([INVITE, ACK_REQUEST]);
    expect(warnings).toEqual([]);
  });

  it('sequence numbers wrap around 2^32', () => {
    const s = new TcpScript(undefined, 0xffffff00, 0xfffffff0);
    s.handshake();
    s.send('client', INVITE); // crosses 2^32
    s.send('server', TRYING);
    s.send('server', RINGING);
    s.send('client', ACK_REQUEST);
    // An out-of-order pair across the wrap as well.
    const seq = s.serverSeq;
    s.raw('server', (seq + 200) >>> 0, PSH | ACK, OK.subarray(200));
    s.raw('server', seq, PSH | ACK, OK.subarray(0, 200));
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([INVITE, TRYING, RINGING, ACK_REQUEST, OK]);
    expect(warnings).toEqual([]);
  });

  it('mid-stream pickup: no SYN, the first segment starts inside a message; decoding starts at the next SIP line', () => {
    const s = new TcpScript(undefined, 777_000, 888_000);
    s.send('client', INVITE.subarray(250)); // the tail of a message whose start the capture missed
    s.send('client', ACK_REQUEST);
    s.send('server', Buffer.concat([OK.subarray(OK.length - 40), TRYING]));
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([ACK_REQUEST, TRYING]);
    expect(warnings).toEqual([]);
  });

  it('a gap the peer acknowledged: reported with its frames, the stream resumes at the next SIP start line', () => {
    const s = new TcpScript();
    s.handshake();
    s.send('client', INVITE);
    const lostSeq = s.clientSeq;
    const lost = Buffer.concat([ACK_REQUEST, INVITE.subarray(0, 100)]);
    // The capture missed `lost`; the next segment carries the rest of that INVITE, then an ACK.
    const after = s.raw('client', lostSeq + lost.length, PSH | ACK, Buffer.concat([INVITE.subarray(100), ACK_REQUEST]));
    expect(s.collector.messages.length).toBe(1);
    // The server acknowledges everything: it got the bytes the capture missed.
    s.raw('server', s.serverSeq, ACK, Buffer.alloc(0), lostSeq + lost.length + INVITE.length - 100 + ACK_REQUEST.length);
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([INVITE, ACK_REQUEST]);
    expect(messages[1].frame).toBe(after);
    expect(warnings.map((w) => w.message)).toEqual([
      `TCP 192.0.2.10:5060 -> 192.0.2.20:5061: ${lost.length} bytes missing from the capture between frame 4 and frame ${after}; resynchronising at the next SIP message`,
      `TCP 192.0.2.10:5060 -> 192.0.2.20:5061: ${INVITE.length - 100} bytes that are not SIP skipped (from frame ${after}) before the stream was back in step`,
    ]);
    expect(warnings[0].packet).toBe(after);
  });

  it('a gap inside a message being assembled: the partial message is dropped and reported', () => {
    const s = new TcpScript();
    s.handshake();
    const seq = s.clientSeq;
    s.raw('client', seq, PSH | ACK, INVITE.subarray(0, 300));
    const after = s.raw('client', seq + INVITE.length, PSH | ACK, ACK_REQUEST);
    s.raw('server', s.serverSeq, ACK, Buffer.alloc(0), seq + INVITE.length + ACK_REQUEST.length);
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([ACK_REQUEST]);
    expect(warnings.map((w) => w.message)).toEqual([
      `TCP 192.0.2.10:5060 -> 192.0.2.20:5061: ${INVITE.length - 300} bytes missing from the capture between frame 4 and frame ${after}; resynchronising at the next SIP message`,
      'TCP 192.0.2.10:5060 -> 192.0.2.20:5061: incomplete SIP message (300 bytes, frame 4) dropped at the gap',
    ]);
  });

  it('a gap never filled is given up at the end of the capture', () => {
    const s = new TcpScript();
    s.handshake();
    s.send('client', INVITE);
    const seq = s.clientSeq;
    const after = s.raw('client', seq + 50, PSH | ACK, ACK_REQUEST);
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([INVITE, ACK_REQUEST]);
    expect(warnings.map((w) => w.message)).toEqual([
      `TCP 192.0.2.10:5060 -> 192.0.2.20:5061: 50 bytes missing from the capture between frame 4 and frame ${after}; resynchronising at the next SIP message`,
    ]);
  });

  it('held segments beyond the stream buffer force the gap', () => {
    const s = new TcpScript({ maxStreamBuffer: 2048 });
    s.handshake();
    s.send('client', INVITE);
    const seq = s.clientSeq + 10;
    // Held until they outgrow 2048 bytes: then the stream resumes at the first of them.
    const count = Math.floor(2048 / ACK_REQUEST.length) + 1;
    for (let i = 0; i < count; i++) s.raw('client', seq + i * ACK_REQUEST.length, PSH | ACK, ACK_REQUEST);
    expect(s.collector.messages.length).toBe(1 + count);
    expect(s.collector.warnings.map((w) => w.message)).toEqual([
      `TCP 192.0.2.10:5060 -> 192.0.2.20:5061: 10 bytes missing from the capture between frame 4 and frame 5; resynchronising at the next SIP message`,
    ]);
  });

  it('garbage between messages is skipped and reported once the stream is back in step', () => {
    const s = new TcpScript();
    s.handshake();
    const f = s.send('client', Buffer.concat([INVITE, Buffer.from('this is not SIP\r\nnor this\r\n'), ACK_REQUEST]));
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([INVITE, ACK_REQUEST]);
    expect(warnings.map((w) => w.message)).toEqual([
      `TCP 192.0.2.10:5060 -> 192.0.2.20:5061: 27 bytes that are not SIP skipped (from frame ${f}) before the stream was back in step`,
    ]);
  });

  it('a declared Content-Length beyond the stream buffer: warning, the message skipped, the next one found', () => {
    const huge = Buffer.from(ACK_REQUEST.toString('latin1').replace(/Content-Length: *0/i, 'Content-Length: 99999999'), 'latin1');
    const s = new TcpScript();
    s.handshake();
    s.send('client', Buffer.concat([huge, INVITE]));
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([INVITE]);
    expect(warnings[0].message).toBe(
      `TCP 192.0.2.10:5060 -> 192.0.2.20:5061: SIP message of ${huge.length + 99999999} bytes is larger than the stream buffer (1048576); skipped`,
    );
  });
});

describe('TCP: connection life', () => {
  it('FIN ends the stream: a trailing message whose headers are complete is emitted with its truncated body', () => {
    const s = new TcpScript();
    s.handshake();
    const f = s.send('client', INVITE.subarray(0, INVITE.length - 30), PSH | ACK | FIN);
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([INVITE.subarray(0, INVITE.length - 30)]);
    expect(messages[0]).toMatchObject({ frame: f, frames: [f] });
    expect(warnings.map((w) => w.message)).toEqual([
      `TCP 192.0.2.10:5060 -> 192.0.2.20:5061: SIP message cut short at the end of the stream: ${INVITE.length - 30} of ${INVITE.length} bytes (frame ${f})`,
    ]);
  });

  it('headers left incomplete at the end of the capture are reported, not emitted', () => {
    const s = new TcpScript();
    s.handshake();
    s.send('client', INVITE.subarray(0, 100));
    const { messages, warnings } = s.finish();
    expect(messages).toEqual([]);
    expect(warnings.map((w) => w.message)).toEqual([
      'TCP 192.0.2.10:5060 -> 192.0.2.20:5061: incomplete SIP message left at the end of the stream (100 bytes, frame 4)',
    ]);
  });

  it('a retransmission after FIN is not decoded again; RST ends the stream at once', () => {
    const s = new TcpScript();
    s.handshake();
    const seq = s.clientSeq;
    s.send('client', INVITE, PSH | ACK | FIN);
    s.raw('client', seq, PSH | ACK, INVITE);
    const cut = s.send('server', TRYING.subarray(0, 50));
    const reset = s.raw('server', s.serverSeq, RST, Buffer.alloc(0));
    expect(s.collector.warnings.map((w) => w.message)).toEqual([
      `TCP 192.0.2.20:5061 -> 192.0.2.10:5060: incomplete SIP message left at the end of the stream (50 bytes, frame ${cut})`,
    ]);
    expect(s.collector.warnings[0].packet).toBe(cut);
    expect(reset).toBe(cut + 1);
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([INVITE]);
    expect(warnings.length).toBe(1);
  });

  it('RST from one side ends both directions: what the other side left incomplete is reported then', () => {
    const s = new TcpScript();
    s.handshake();
    const cut = s.send('client', INVITE.subarray(0, 120));
    const reset = s.raw('server', s.serverSeq, RST | ACK, Buffer.alloc(0));
    expect(s.collector.warnings.map((w) => [w.message, w.packet])).toEqual([
      [`TCP 192.0.2.10:5060 -> 192.0.2.20:5061: incomplete SIP message left at the end of the stream (120 bytes, frame ${cut})`, cut],
    ]);
    expect(reset).toBe(cut + 1);
    expect(s.finish().warnings.length).toBe(1);
  });

  it('a new SYN on the same 4-tuple starts a new stream', () => {
    const s = new TcpScript();
    s.handshake();
    s.send('client', INVITE.subarray(0, 200));
    s.raw('client', 123_456, SYN, Buffer.alloc(0));
    s.raw('client', 123_457, PSH | ACK, ACK_REQUEST);
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([ACK_REQUEST]);
    expect(warnings.map((w) => w.message)).toEqual([
      'TCP 192.0.2.10:5060 -> 192.0.2.20:5061: incomplete SIP message left at the end of the stream (200 bytes, frame 4)',
    ]);
  });

  it('TLS records are recognised, warned about once per connection, and not scanned', () => {
    const s = new TcpScript();
    s.handshake();
    // A ClientHello record header (content type 22, version 3.1), then bytes that happen to hold a SIP line.
    const hello = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x40]), Buffer.from('\r\n'), ACK_REQUEST]);
    s.send('client', hello);
    s.send('server', Buffer.concat([Buffer.from([0x16, 0x03, 0x03, 0x00, 0x40]), Buffer.from('\r\n'), TRYING]));
    s.send('client', Buffer.concat([Buffer.from([0x17, 0x03, 0x03, 0x01, 0x00]), Buffer.from('\r\n'), INVITE]));
    const { messages, warnings } = s.finish();
    expect(messages).toEqual([]);
    expect(warnings.map((w) => w.message)).toEqual(['TCP 192.0.2.10:5060 -> 192.0.2.20:5061: TLS: encrypted, not decoded']);
  });

  it('streams beyond maxStreams are evicted least recently used first, with a warning when they held SIP', () => {
    const s = new TcpScript({ maxStreams: 1 });
    s.handshake();
    s.send('client', INVITE.subarray(0, 100));
    s.send('server', TRYING);
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.bytes)).toEqual([TRYING]);
    expect(warnings.map((w) => w.message)).toContain(
      'TCP 192.0.2.10:5060 -> 192.0.2.20:5061: stream state dropped (more than 1 streams at once); what follows is decoded as a new stream',
    );
  });
});
