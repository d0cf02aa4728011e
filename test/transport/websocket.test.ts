// SIP over WebSocket (RFC 7118): a real session captured on loopback (see
// test/fixtures/transport/make-ws-session.py and ws-session.tshark.txt, tshark's reading of it),
// and frames built byte by byte after the examples of RFC 6455 §5.7 with real SIP inside.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWsFrameHeader, unmask, type WsFrameHeader } from '../../src/transport/websocket.js';
import { ACK, Collector, FIXTURES, PSH, TcpScript, corpusMessages, datagramsOf, decodeFile } from './helpers.js';
import { formatEndpoint } from '../../src/timefmt.js';

const SESSION = join(FIXTURES, 'ws-session.pcapng');

interface TsharkLine {
  frame: number;
  src: string;
  dst: string;
  lines: string[];
  segments: number[] | null;
}

/** ws-session.tshark.txt: frame|src|sport|dst|dport|request lines|status lines|tcp segments. */
function tsharkTruth(): TsharkLine[] {
  return readFileSync(join(FIXTURES, 'ws-session.tshark.txt'), 'utf8').trim().split('\n').map((row) => {
    const [frame, src, sport, dst, dport, requests, statuses, segments] = row.split('|');
    return {
      frame: Number(frame),
      src: `${src}:${sport}`,
      dst: `${dst}:${dport}`,
      lines: [...requests.split(','), ...statuses.split(',')].filter((l) => l !== ''),
      segments: segments ? segments.split(',').map(Number) : null,
    };
  });
}

describe('SIP over WebSocket: a captured session', () => {
  it('finds every message tshark finds, with its frame, index in frame, endpoints and transport WS', () => {
    const { messages, warnings } = decodeFile(SESSION);
    const truth = tsharkTruth().flatMap((t) => t.lines.map((line, index) => ({ ...t, line, index })));
    expect(messages.map((m) => ({
      frame: m.frame,
      index: m.indexInFrame,
      src: formatEndpoint(m.srcIp, m.srcPort, m.ipVersion),
      dst: formatEndpoint(m.dstIp, m.dstPort, m.ipVersion),
      line: m.text.slice(0, m.text.indexOf('\r\n')),
      transport: m.transport,
    }))).toEqual(truth.map((t) => ({ frame: t.frame, index: t.index, src: t.src, dst: t.dst, line: t.line, transport: 'WS' })));
    expect(warnings).toEqual([]);
  });

  it('a fragmented message (text frame, ping, continuation) and a 64-bit-length frame over three segments', () => {
    const { messages } = decodeFile(SESSION);
    const ok = messages.find((m) => m.frame === 16)!;
    expect(ok.frames).toEqual([12, 16]);
    expect(ok.text).toMatch(/^SIP\/2\.0 200 OK\r\n[^]*\r\nCSeq: 1 INVITE\r\n/);
    const message = messages.find((m) => m.text.startsWith('MESSAGE '))!;
    expect(message.frames).toEqual(tsharkTruth().find((t) => t.frame === 26)!.segments);
    const body = message.text.slice(message.text.indexOf('\r\n\r\n') + 4);
    expect(body).toBe('0123456789abcdef'.repeat(4375));
    expect(message.text).toContain('Content-Length: 70000\r\n');
  });

  it('without the upgrade (capture started after it): recognised from a frame carrying a SIP line', () => {
    const datagrams = datagramsOf(SESSION);
    const all = decodeFile(SESSION).messages;
    const collector = new Collector();
    for (const { ip, pkt } of datagrams.filter((d) => d.pkt.frame > 7)) collector.decoder.handle(ip, pkt);
    collector.decoder.finish();
    expect(collector.messages.map((m) => [m.frame, m.indexInFrame, m.transport, m.text])).toEqual(
      all.map((m) => [m.frame, m.indexInFrame, m.transport, m.text]),
    );
    expect(collector.warnings).toEqual([]);
  });

  it('picked up between the fragments of a message: that message is lost, the next ones are found', () => {
    const datagrams = datagramsOf(SESSION);
    const collector = new Collector();
    for (const { ip, pkt } of datagrams.filter((d) => d.pkt.frame > 12)) collector.decoder.handle(ip, pkt);
    collector.decoder.finish();
    // The server's direction resumes at the 200 OK for MESSAGE (frame 28); the client's at the ACK.
    expect(collector.messages.map((m) => m.frame)).toEqual([20, 26, 28, 30, 32]);
  });
});

// ------------------------------------------------------------------ frames built byte by byte

const CALL = corpusMessages('call-basic-tcp');
const INVITE = CALL[0];
const TRYING = CALL[1];
const RINGING = CALL[2];
/** The masking key of RFC 6455 §5.7's masked example. */
const KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** A frame: FIN|opcode, MASK|length (7, 16 or 64 bit as RFC 6455 §5.2 says), key, payload (masked with key). */
function wsFrame(opcode: number, payload: Buffer, options: { fin?: boolean; key?: Buffer; rsv1?: boolean } = {}): Buffer {
  const fin = options.fin ?? true;
  const head: number[] = [(fin ? 0x80 : 0) | (options.rsv1 ? 0x40 : 0) | opcode];
  const maskBit = options.key ? 0x80 : 0;
  const n = payload.length;
  if (n < 126) head.push(maskBit | n);
  else if (n < 65536) head.push(maskBit | 126, n >> 8, n & 0xff);
  else head.push(maskBit | 127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  let body = payload;
  if (options.key) {
    body = Buffer.from(payload.map((b, i) => b ^ options.key![i & 3]));
    head.push(...options.key);
  }
  return Buffer.concat([Buffer.from(head), body]);
}

const UPGRADE_REQUEST = 'GET /ws HTTP/1.1\r\nHost: 192.0.2.20\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n';
const UPGRADE_RESPONSE = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n';

function upgraded(): TcpScript {
  const s = new TcpScript();
  s.handshake();
  s.send('client', UPGRADE_REQUEST);
  s.send('server', UPGRADE_RESPONSE);
  return s;
}

describe('WebSocket frames (RFC 6455 §5.7 layouts, real SIP inside)', () => {
  it('the RFC examples: masked "Hello" unmasks, the header lengths read right', () => {
    const masked = Buffer.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    const h: WsFrameHeader = { fin: false, rsv: 0, opcode: 0, masked: false, maskOffset: 0, payloadOffset: 0, payloadLength: 0 };
    expect(readWsFrameHeader(masked, 0, masked.length, h)).toBe(11);
    expect(h).toMatchObject({ fin: true, opcode: 1, masked: true, maskOffset: 2, payloadOffset: 6, payloadLength: 5 });
    const out = Buffer.alloc(5);
    unmask(masked, 6, 11, masked, 2, out, 0);
    expect(out.toString()).toBe('Hello');
    const sixteen = Buffer.concat([Buffer.from([0x82, 0x7e, 0x01, 0x00]), Buffer.alloc(256)]);
    expect(readWsFrameHeader(sixteen, 0, sixteen.length, h)).toBe(260);
    const sixtyFour = Buffer.from([0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect(readWsFrameHeader(sixtyFour, 0, sixtyFour.length, h)).toBe(10 + 65536);
    expect(readWsFrameHeader(sixtyFour, 0, 5, h)).toBe(-1);
  });

  it('masked client frames, unmasked server frames with 7- and 16-bit lengths, several in one segment', () => {
    const s = upgraded();
    s.send('client', wsFrame(1, INVITE, { key: KEY }));
    const short = Buffer.from('OPTIONS sip:x@y SIP/2.0\r\nContent-Length: 0\r\n\r\n');
    expect(short.length).toBeLessThan(126);
    const f = s.send('server', Buffer.concat([wsFrame(1, TRYING), wsFrame(2, RINGING), wsFrame(1, short)]));
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.text)).toEqual([INVITE, TRYING, RINGING, short].map((b) => b.toString('latin1')));
    expect(messages.slice(1).map((m) => [m.frame, m.indexInFrame, m.transport])).toEqual([[f, 0, 'WS'], [f, 1, 'WS'], [f, 2, 'WS']]);
    expect(warnings).toEqual([]);
  });

  it('a fragmented message with a ping between its fragments', () => {
    const s = upgraded();
    const f1 = s.send('client', wsFrame(1, INVITE.subarray(0, 10), { fin: false, key: KEY }));
    s.send('client', wsFrame(9, Buffer.from('ping'), { key: KEY }));
    const f3 = s.send('client', Buffer.concat([
      wsFrame(0, INVITE.subarray(10, 400), { fin: false, key: Buffer.from([1, 2, 3, 4]) }),
      wsFrame(0, INVITE.subarray(400), { key: KEY }),
    ]));
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.text)).toEqual([INVITE.toString('latin1')]);
    expect(messages[0]).toMatchObject({ frame: f3, frames: [f1, f3] });
    expect(warnings).toEqual([]);
  });

  it('a 64-bit-length frame (a 65536-byte SIP message) split at every 997th byte across segments', () => {
    const head = 'MESSAGE sip:bob@192.0.2.20 SIP/2.0\r\nCall-ID: big@x\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: ';
    const bodyLength = 65536 - head.length - 9;
    const big = Buffer.from(`${head}${bodyLength}\r\n\r\n${'x'.repeat(bodyLength)}`, 'latin1');
    expect(big.length).toBe(65536);
    const frame = wsFrame(1, big, { key: KEY });
    const s = upgraded();
    const frames: number[] = [];
    for (let at = 0; at < frame.length; at += 997) frames.push(s.send('client', frame.subarray(at, at + 997)));
    const { messages, warnings } = s.finish();
    expect(messages.length).toBe(1);
    expect(messages[0].bytes.equals(big)).toBe(true);
    expect(messages[0].frames).toEqual(frames);
    expect(warnings).toEqual([]);
  });

  it('a frame split at every byte position', () => {
    const frame = wsFrame(1, INVITE, { key: KEY });
    for (let cut = 1; cut < frame.length; cut += 7) {
      const s = upgraded();
      const a = s.send('client', frame.subarray(0, cut));
      const b = s.send('client', frame.subarray(cut));
      const { messages } = s.finish();
      expect(messages.map((m) => [m.text, m.frames]), `cut at ${cut}`).toEqual([[INVITE.toString('latin1'), [a, b]]]);
    }
  });

  it('permessage-deflate (RSV1) messages are reported once and not decoded; keep-alive and non-SIP messages are skipped', () => {
    const s = upgraded();
    s.send('client', wsFrame(1, Buffer.from([0xf2, 0x48, 0xcd]), { key: KEY, rsv1: true }));
    s.send('client', wsFrame(1, Buffer.from([0xf2, 0x48, 0xcd]), { key: KEY, rsv1: true }));
    s.send('client', wsFrame(1, Buffer.from('\r\n\r\n'), { key: KEY }));
    s.send('client', wsFrame(1, Buffer.from('{"json": "not SIP"}'), { key: KEY }));
    s.send('client', wsFrame(1, INVITE, { key: KEY }));
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.text)).toEqual([INVITE.toString('latin1')]);
    expect(warnings.map((w) => w.message)).toEqual([
      'TCP 192.0.2.10:5060 -> 192.0.2.20:5061: WebSocket messages compressed with permessage-deflate are not decoded',
    ]);
  });

  it('a plain HTTP exchange (no upgrade) is not taken for WebSocket', () => {
    const s = new TcpScript();
    s.handshake();
    s.send('client', 'GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n');
    s.send('server', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
    s.send('client', wsFrame(1, Buffer.from('\x81\x05Hello')));
    const { messages, warnings } = s.finish();
    expect(messages).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('after a gap in a WebSocket stream, decoding resumes at the next frame carrying SIP', () => {
    const s = upgraded();
    s.send('client', wsFrame(1, INVITE, { key: KEY }));
    const seq = s.clientSeq;
    const lost = wsFrame(1, INVITE, { key: KEY });
    const next = Buffer.concat([wsFrame(1, TRYING, { key: KEY }), wsFrame(1, RINGING, { key: KEY })]);
    // The capture missed the first 50 bytes of `lost`; the peer acknowledged everything.
    const f = s.raw('client', seq + 50, PSH | ACK, Buffer.concat([lost.subarray(50), next]));
    s.raw('server', s.serverSeq, ACK, Buffer.alloc(0), seq + lost.length + next.length);
    const { messages, warnings } = s.finish();
    expect(messages.map((m) => m.text)).toEqual([INVITE, TRYING, RINGING].map((b) => b.toString('latin1')));
    expect(messages[1].frame).toBe(f);
    expect(warnings.map((w) => w.message)).toEqual([
      `TCP 192.0.2.10:5060 -> 192.0.2.20:5061: 50 bytes missing from the capture between frame 6 and frame ${f}; resynchronising at the next SIP message`,
      `TCP 192.0.2.10:5060 -> 192.0.2.20:5061: ${lost.length - 50} bytes that are not WebSocket skipped (from frame ${f}) before the stream was back in step`,
    ]);
  });
});
