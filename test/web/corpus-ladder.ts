// Ladder inputs from the shared corpus's ground truth, independent of sipladder's own decoder:
// messages.json (tshark's per-message fields) mapped to SipMessage, the analysis links
// (transaction, dialog, retransmission) from expected.json, and the User-Agent / Server
// and SDP fields that messages.json does not hold read with tshark from the capture.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Anomaly, SdpMedia, SdpSummary, Severity } from '../../src/model.js';
import type { LadderInput, LadderMessage } from '../../src/views/ladder.js';

/** The shared corpus, beside the work tree (as in CI's clone). */
export const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus');

interface CorpusMessage {
  msg: number;
  frame: number;
  index_in_frame: number;
  time_epoch: string;
  src: string;
  dst: string;
  ip_version: 4 | 6;
  transport: LadderMessage['transport'];
  type: 'request' | 'response';
  method?: string;
  request_uri?: string;
  status?: number;
  reason?: string;
  call_id: string;
  from_uri: string | null;
  to_uri: string | null;
  cseq: string;
  cseq_seq: number;
  cseq_method: string;
  via_branch: string | null;
  via_sent_by: string | null;
  via_count: number;
  from_tag: string | null;
  to_tag: string | null;
  content_type: string | null;
  content_length: number | null;
  expires: number | null;
  retry_after: number | null;
  rseq: number | null;
  subscription_state: string | null;
  has_credentials: boolean;
  reassembled_from_frames?: number[];
}

interface ExpectedTransaction {
  requests: number[];
  responses: number[];
  ack?: number[];
}

interface ExpectedCall {
  call_id: string;
  transactions: ExpectedTransaction[];
  dialogs: { from_tag: string; to_tag: string }[];
}

interface ExpectedAnomaly {
  type: string;
  severity: Severity;
  call_id: string;
  messages: number[];
  rfc: string;
  explanation: string;
}

/** User-Agent / Server and SDP of every SIP frame, read by tshark (one m= line per body in this corpus). */
function tsharkExtras(capture: string): Map<number, { userAgent: string | null; sdp: SdpSummary | null }> {
  const out = execFileSync(
    'tshark',
    ['-r', capture, '-Y', 'sip', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|',
      '-e', 'frame.number', '-e', 'sip.User-Agent', '-e', 'sip.Server', '-e', 'sdp.connection_info.address',
      '-e', 'sdp.media.media', '-e', 'sdp.media.port', '-e', 'sdp.media.proto', '-e', 'sdp.media.format', '-e', 'sdp.media_attr'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const extras = new Map<number, { userAgent: string | null; sdp: SdpSummary | null }>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [frame, ua, server, address, media, port, proto, formats, attrs] = line.split('\t');
    let sdp: SdpSummary | null = null;
    if (media) {
      const attributes = attrs ? attrs.split('|') : [];
      const direction = (attributes.find((a) => ['sendrecv', 'sendonly', 'recvonly', 'inactive'].includes(a)) ?? 'sendrecv') as SdpMedia['direction'];
      const stream: SdpMedia = {
        media,
        port: Number(port),
        proto,
        // tshark lists each format twice (its name, then the number): keep the numbers.
        formats: formats.split('|').filter((f) => /^\d+$/.test(f)),
        codecs: attributes.filter((a) => a.startsWith('rtpmap:')).map((a) => a.slice(a.indexOf(' ') + 1)),
        address: address || null,
        direction,
      };
      sdp = { origin: null, address: address || null, media: [stream] };
    }
    extras.set(Number(frame), { userAgent: ua || server || null, sdp });
  }
  return extras;
}

function toAnomaly(a: ExpectedAnomaly, id: number): Anomaly {
  return {
    id,
    kind: a.type,
    severity: a.severity,
    callId: a.call_id,
    messages: a.messages,
    title: a.type.replace(/-/g, ' '),
    explanation: a.explanation,
    reference: a.rfc,
  };
}

/** The ladder input of the corpus capture `name`, limited to the given Call-IDs (all when omitted). */
export function corpusLadderInput(name: string, callIds?: string[]): LadderInput {
  const dir = path.join(CORPUS, name);
  const records: CorpusMessage[] = JSON.parse(readFileSync(path.join(dir, 'messages.json'), 'utf8')).messages;
  const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { calls: ExpectedCall[]; anomalies: ExpectedAnomaly[] };
  const extras = tsharkExtras(path.join(dir, `${name}.pcapng`));

  // Transactions numbered in expected.json's order; retransmissions per README.md's definition.
  const transactionOf = new Map<number, number>();
  const retransmissionOf = new Map<number, number>();
  let transactionId = 0;
  for (const call of expected.calls) {
    for (const t of call.transactions) {
      const id = transactionId++;
      for (const m of [...t.requests, ...t.responses]) transactionOf.set(m, id);
      for (const copy of t.requests.slice(1)) retransmissionOf.set(copy, t.requests[0]);
      const firstResponse = new Map<string, number>();
      for (const r of t.responses) {
        const key = `${records[r].status} ${records[r].to_tag}`;
        const original = firstResponse.get(key);
        if (original === undefined) firstResponse.set(key, r);
        else retransmissionOf.set(r, original);
      }
    }
  }
  const dialogs = expected.calls.flatMap((call) => call.dialogs.map((d) => ({ callId: call.call_id, ...d })));
  const dialogOf = (r: CorpusMessage): number | null => {
    const i = dialogs.findIndex((d) => d.callId === r.call_id && r.to_tag !== null &&
      ((d.from_tag === r.from_tag && d.to_tag === r.to_tag) || (d.from_tag === r.to_tag && d.to_tag === r.from_tag)));
    return i < 0 ? null : i;
  };

  const wanted = callIds ? new Set(callIds) : null;
  const messages: LadderMessage[] = records
    .filter((r) => !wanted || wanted.has(r.call_id))
    .map((r) => {
      const [sec, frac = ''] = r.time_epoch.split('.');
      const extra = extras.get(r.frame);
      return {
        isRequest: r.type === 'request',
        method: r.method ?? null,
        requestUri: r.request_uri ?? null,
        status: r.status ?? null,
        reason: r.reason ?? null,
        callId: r.call_id,
        cseq: r.cseq,
        cseqSeq: r.cseq_seq,
        cseqMethod: r.cseq_method,
        branch: r.via_branch,
        sentBy: r.via_sent_by,
        viaCount: r.via_count,
        fromUri: r.from_uri,
        fromTag: r.from_tag,
        fromDisplay: null,
        toUri: r.to_uri,
        toTag: r.to_tag,
        toDisplay: null,
        contactUri: null,
        contactExpires: null,
        contentType: r.content_type,
        contentLength: r.content_length,
        bodyLength: r.content_length ?? 0,
        expires: r.expires,
        minExpires: null,
        retryAfter: r.retry_after,
        rseq: r.rseq,
        rack: null,
        sessionExpires: null,
        subscriptionState: r.subscription_state,
        event: null,
        hasCredentials: r.has_credentials,
        authRealm: null,
        authNonce: null,
        userAgent: extra?.userAgent ?? null,
        xCallId: null,
        icid: null,
        sdp: extra?.sdp ?? null,
        malformed: null,
        id: r.msg,
        frame: r.frame,
        frames: r.reassembled_from_frames ?? [r.frame],
        indexInFrame: r.index_in_frame,
        ts: { sec: Number(sec), nsec: Number(frac.padEnd(9, '0')), digits: frac.length },
        time: r.time_epoch,
        ipVersion: r.ip_version,
        src: r.src,
        dst: r.dst,
        transport: r.transport,
        size: 0,
        transaction: transactionOf.get(r.msg) ?? null,
        dialog: dialogOf(r),
        retransmissionOf: retransmissionOf.get(r.msg) ?? null,
      };
    });
  const anomalies = expected.anomalies.map(toAnomaly).filter((a) => !wanted || (a.callId !== null && wanted.has(a.callId)));
  return { messages, anomalies };
}
