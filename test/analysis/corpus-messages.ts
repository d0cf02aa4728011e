// Turns a corpus messages.json (tshark's ground truth, /work/shared/corpus/README.md) into the
// SipMessage[] the decoder would produce, so analysis is tested on real captures' messages.
// Fields tshark does not report are null (display names, Contact, Min-Expires, RAck,
// Session-Expires, Event, auth realm/nonce, User-Agent, X-Call-ID, icid, SDP); `size` is 0
// because messages.json does not give the message length.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SipMessage, SipTransport, Timestamp } from '../../src/model.js';

/** The shared corpus lives beside the project. */
export const CORPUS_DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');

/** One record of messages.json, as the corpus README describes it. */
export interface GroundTruthMessage {
  msg: number;
  frame: number;
  index_in_frame: number;
  time_epoch: string;
  src: string;
  dst: string;
  ip_version: 4 | 6;
  transport: SipTransport;
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
  tshark_resend: boolean;
  reassembled_from_frames?: number[];
}

export interface GroundTruth {
  capture: string;
  frames: number;
  first_frame_epoch: string;
  last_frame_epoch: string;
  sip_messages: number;
  messages: GroundTruthMessage[];
}

/** "1795532484.343801646" -> {sec, nsec, digits: 9}, without floating point. */
export function parseEpoch(text: string): Timestamp {
  const [whole, frac = ''] = text.split('.');
  return { sec: Number(whole), nsec: Number((frac + '000000000').slice(0, 9)), digits: frac.length };
}

export function toSipMessage(g: GroundTruthMessage): SipMessage {
  const request = g.type === 'request';
  return {
    isRequest: request,
    method: request ? g.method! : null,
    requestUri: request ? (g.request_uri ?? null) : null,
    status: request ? null : g.status!,
    reason: request ? null : (g.reason ?? null),
    callId: g.call_id,
    cseq: g.cseq,
    cseqSeq: g.cseq_seq,
    cseqMethod: g.cseq_method,
    branch: g.via_branch,
    sentBy: g.via_sent_by,
    viaCount: g.via_count,
    fromUri: g.from_uri,
    fromTag: g.from_tag,
    fromDisplay: null,
    toUri: g.to_uri,
    toTag: g.to_tag,
    toDisplay: null,
    contactUri: null,
    contactExpires: null,
    contentType: g.content_type,
    contentLength: g.content_length,
    bodyLength: g.content_length ?? 0,
    expires: g.expires,
    minExpires: null,
    retryAfter: g.retry_after,
    rseq: g.rseq,
    rack: null,
    sessionExpires: null,
    subscriptionState: g.subscription_state,
    event: null,
    hasCredentials: g.has_credentials,
    authRealm: null,
    authNonce: null,
    userAgent: null,
    xCallId: null,
    icid: null,
    sdp: null,
    malformed: null,
    id: g.msg,
    frame: g.frame,
    frames: g.reassembled_from_frames ?? [g.frame],
    indexInFrame: g.index_in_frame,
    ts: parseEpoch(g.time_epoch),
    time: g.time_epoch,
    ipVersion: g.ip_version,
    src: g.src,
    dst: g.dst,
    transport: g.transport,
    size: 0,
  };
}

export function loadGroundTruth(name: string): GroundTruth {
  return JSON.parse(readFileSync(join(CORPUS_DIR, name, 'messages.json'), 'utf8')) as GroundTruth;
}

/** The capture's messages as SipMessage[] and its end (the last frame's time). */
export function loadCorpusMessages(name: string): { messages: SipMessage[]; captureEnd: Timestamp; truth: GroundTruth } {
  const truth = loadGroundTruth(name);
  return { messages: truth.messages.map(toSipMessage), captureEnd: parseEpoch(truth.last_frame_epoch), truth };
}
