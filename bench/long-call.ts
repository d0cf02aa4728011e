// A capture of one very long call, for the render benchmark and the browser test of large
// ladders: a call set up with INVITE / 100 / 180 / 200 / ACK that then carries re-INVITEs
// (hold and resume, answered 200 and ACKed), UPDATEs from the callee and INFO DTMF from the
// caller until it holds `messages` messages, the last two being BYE and its 200. One dialog,
// two endpoints, every transaction with its own branch and CSeq (RFC 3261 §8.1.1.5, §12.2.1.1).
import { enhancedPacket, interfaceDescription, sectionHeader, udpFrame, type UdpEndpoint } from './pcapng.js';

const ALICE: UdpEndpoint = { ip: '192.0.2.10', port: 5060 };
const BOB: UdpEndpoint = { ip: '192.0.2.20', port: 5060 };
const START_SECONDS = 1_767_225_600; // 2026-01-01T00:00:00Z
/** Time between two transactions, and between a request and its response. */
const TRANSACTION_GAP_NS = 400_000_000;
const RESPONSE_DELAY_NS = 20_000_000;

export interface LongCall {
  /** The pcapng file. */
  bytes: Buffer;
  callId: string;
  messages: number;
}

interface Party {
  uri: string;
  tag: string;
  contact: string;
  endpoint: UdpEndpoint;
  cseq: number;
  sdpVersion: number;
  rtpPort: number;
}

function sdp(party: Party, direction: 'sendrecv' | 'sendonly' | 'recvonly'): string {
  return [
    'v=0',
    `o=- 3976300800 ${party.sdpVersion++} IN IP4 ${party.endpoint.ip}`,
    's=-',
    `c=IN IP4 ${party.endpoint.ip}`,
    't=0 0',
    `m=audio ${party.rtpPort} RTP/AVP 0 8 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    `a=${direction}`,
    '',
  ].join('\r\n');
}

function message(startLine: string, headers: string[], body = '', contentType = 'application/sdp'): Buffer {
  const lines = [startLine, ...headers];
  if (body) lines.push(`Content-Type: ${contentType}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  return Buffer.from(lines.join('\r\n'));
}

/** Builds the capture of one call of exactly `messages` messages: 7, or 9 and more (set-up 5, BYE 2, transactions of 2 or 3). */
export function makeLongCall(messages = 5000): LongCall {
  if (messages < 7 || messages === 8) throw new Error('a long call has 7, or at least 9, messages');
  const callId = `long-call-${messages}@192.0.2.10`;
  const alice: Party = { uri: 'sip:alice@example.com', tag: 'a1f3c9', contact: `<sip:alice@${ALICE.ip}:${ALICE.port}>`, endpoint: ALICE, cseq: 1, sdpVersion: 1, rtpPort: 40_000 };
  const bob: Party = { uri: 'sip:bob@example.com', tag: 'b7e2d4', contact: `<sip:bob@${BOB.ip}:${BOB.port}>`, endpoint: BOB, cseq: 1, sdpVersion: 1, rtpPort: 50_000 };
  const packets: Buffer[] = [sectionHeader(), interfaceDescription()];
  let clockNs = 0;
  let branches = 0;
  let count = 0;
  const send = (from: Party, to: Party, payload: Buffer, delayNs: number) => {
    clockNs += delayNs;
    packets.push(enhancedPacket(START_SECONDS + Math.floor(clockNs / 1e9), clockNs % 1e9, udpFrame(from.endpoint, to.endpoint, payload)));
    count++;
  };

  /** One transaction: the request from `caller`'s side, a response per status, and an ACK for a 2xx to INVITE. */
  const transaction = (from: Party, to: Party, method: string, statuses: [number, string][], body: (() => string) | null, answer: (() => string) | null, bodyType?: string) => {
    const seq = from.cseq++;
    const branch = `z9hG4bK-long-${++branches}`;
    const inDialog = count > 0;
    const toTag = inDialog ? `;tag=${to.tag}` : '';
    const via = `Via: SIP/2.0/UDP ${from.endpoint.ip}:${from.endpoint.port};branch=${branch}`;
    const dialogHeaders = [`From: <${from.uri}>;tag=${from.tag}`, `To: <${to.uri}>${toTag}`, `Call-ID: ${callId}`];
    const requestUri = to.contact.slice(1, -1);
    send(from, to, message(`${method} ${requestUri} SIP/2.0`, [via, 'Max-Forwards: 70', ...dialogHeaders, `CSeq: ${seq} ${method}`, `Contact: ${from.contact}`, 'User-Agent: longcall/1.0'], body?.() ?? '', bodyType), TRANSACTION_GAP_NS);
    for (const [status, reason] of statuses) {
      const tag = status === 100 ? toTag : `;tag=${to.tag}`;
      const headers = [via, `From: <${from.uri}>;tag=${from.tag}`, `To: <${to.uri}>${tag}`, `Call-ID: ${callId}`, `CSeq: ${seq} ${method}`];
      if (status > 100) headers.push(`Contact: ${to.contact}`, 'Server: longcall/1.0');
      send(to, from, message(`SIP/2.0 ${status} ${reason}`, headers, status === 200 ? answer?.() ?? '' : ''), RESPONSE_DELAY_NS);
    }
    if (method === 'INVITE') {
      const ackVia = `Via: SIP/2.0/UDP ${from.endpoint.ip}:${from.endpoint.port};branch=z9hG4bK-long-${++branches}`;
      send(from, to, message(`ACK ${requestUri} SIP/2.0`, [ackVia, 'Max-Forwards: 70', `From: <${from.uri}>;tag=${from.tag}`, `To: <${to.uri}>;tag=${to.tag}`, `Call-ID: ${callId}`, `CSeq: ${seq} ACK`]), RESPONSE_DELAY_NS);
    }
  };

  transaction(alice, bob, 'INVITE', [[100, 'Trying'], [180, 'Ringing'], [200, 'OK']], () => sdp(alice, 'sendrecv'), () => sdp(bob, 'sendrecv'));
  // In-dialog transactions of 3 (re-INVITE), 2 (UPDATE) and 2 (INFO) messages, in turn, chosen so that exactly
  // two messages are left for BYE / 200.
  const kinds = ['reinvite', 'update', 'info'] as const;
  let hold = false;
  for (let turn = 0; messages - count > 2; turn++) {
    const left = messages - count - 2;
    const kind = left === 3 ? 'reinvite' : left === 2 || left === 4 ? 'info' : kinds[turn % 3];
    if (kind === 'reinvite') {
      hold = !hold;
      transaction(alice, bob, 'INVITE', [[200, 'OK']], () => sdp(alice, hold ? 'sendonly' : 'sendrecv'), () => sdp(bob, hold ? 'recvonly' : 'sendrecv'));
    } else if (kind === 'update') {
      transaction(bob, alice, 'UPDATE', [[200, 'OK']], () => sdp(bob, 'sendrecv'), () => sdp(alice, 'sendrecv'));
    } else {
      const digit = '0123456789*#'[turn % 12];
      transaction(alice, bob, 'INFO', [[200, 'OK']], () => `Signal=${digit}\r\nDuration=160\r\n`, null, 'application/dtmf-relay');
    }
  }
  transaction(alice, bob, 'BYE', [[200, 'OK']], null, null);
  return { bytes: Buffer.concat(packets), callId, messages: count };
}
