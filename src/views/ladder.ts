// The ladder (sequence) diagram model of one or several calls: one lane per endpoint, one
// arrow per message in capture order. Built once here and only drawn elsewhere (the web
// page's SVG renderer, the ASCII export), so every view shows the same lanes and labels.
import type { Anomaly, ArrowClass, LadderArrow, LadderLane, LadderModel, SdpSummary, SipMessage } from '../model.js';
import { secondsBetween } from '../timefmt.js';

/** A message with its place in the analysis (Analysis.messageLinks of its id). */
export type LadderMessage = SipMessage & { transaction: number | null; dialog: number | null; retransmissionOf: number | null };

export interface LadderInput {
  /** The messages to draw, in capture order. */
  messages: LadderMessage[];
  /** Anomalies of the drawn calls; each arrow lists those that name its message. */
  anomalies: Anomaly[];
  /** Names for endpoints, keyed by "ip:port" (IPv6 "[addr]:port") or by the bare IP address. */
  aliases?: Record<string, string>;
  /** 'host' draws every port of one IP address in a single lane (a B2BUA or a proxy with several sockets). */
  merge?: 'none' | 'host';
}

/**
 * The IP address of an "ip:port" / "[ipv6]:port" endpoint, without brackets; a bare address
 * (a merged lane) is returned as it is.
 */
export function endpointHost(endpoint: string): string {
  if (endpoint.startsWith('[')) {
    const close = endpoint.indexOf(']');
    return close > 0 ? endpoint.slice(1, close) : endpoint;
  }
  const colon = endpoint.indexOf(':');
  // One colon: IPv4 with its port. Several: a bare IPv6 address.
  return colon > 0 && colon === endpoint.lastIndexOf(':') ? endpoint.slice(0, colon) : endpoint;
}

/** The alias of a lane: its own address first, then (for an ip:port lane) its host, bracketed or not. */
function aliasFor(address: string, aliases: Record<string, string>): string | undefined {
  const own = aliases[address];
  if (own) return own;
  const host = endpointHost(address);
  return aliases[host] || aliases[`[${host}]`] || undefined;
}

/**
 * The arrow's class: what colour and tag it gets. A message the scanner could not read as
 * valid SIP is 'malformed' whatever its start line claims.
 */
export function arrowClassOf(m: Pick<SipMessage, 'isRequest' | 'status' | 'malformed'>): ArrowClass {
  if (m.malformed) return 'malformed';
  if (m.isRequest) return 'request';
  const status = m.status ?? 0;
  if (status >= 100 && status < 700) return `${Math.floor(status / 100)}xx` as ArrowClass;
  return 'malformed';
}

/** "INVITE" for a request, "486 Busy Here" for a response; what the start line says, as short as that. */
export function arrowLabel(m: Pick<SipMessage, 'isRequest' | 'method' | 'status' | 'reason'>): string {
  if (m.isRequest) return m.method ?? 'malformed';
  if (m.status === null) return 'malformed';
  return m.reason ? `${m.status} ${m.reason}` : String(m.status);
}

/** Codec name without its clock rate ("PCMU/8000" -> "PCMU"), the way sngrep and Wireshark's flows write it. */
function codecName(rtpmap: string): string {
  const slash = rtpmap.indexOf('/');
  return slash > 0 ? rtpmap.slice(0, slash) : rtpmap;
}

/**
 * One line per offer/answer for the arrow: "audio 10.0.0.1:4000 PCMU,PCMA sendonly", streams
 * separated by "; ". Formats without an rtpmap are shown by payload type number.
 */
export function sdpSummaryText(sdp: SdpSummary): string {
  return sdp.media
    .map((media) => {
      const address = media.address ?? sdp.address;
      const where = address === null ? String(media.port) : `${address.includes(':') ? `[${address}]` : address}:${media.port}`;
      const codecs = media.codecs.length > 0 ? media.codecs.map(codecName) : media.formats;
      return `${media.media} ${where} ${codecs.join(',')} ${media.direction}`;
    })
    .join('; ');
}

/** Lanes in order of first appearance: the first message's sender (the caller) first, then its receiver, and so on. */
function buildLanes(messages: readonly LadderMessage[], laneOf: (endpoint: string) => string, aliases: Record<string, string>): LadderLane[] {
  const lanes = new Map<string, LadderLane>();
  const touch = (endpoint: string): LadderLane => {
    const address = laneOf(endpoint);
    let lane = lanes.get(address);
    if (!lane) {
      lane = { id: address, address, label: aliasFor(address, aliases) ?? address, userAgent: null, aliases: [] };
      lanes.set(address, lane);
    }
    if (!lane.aliases.includes(endpoint)) lane.aliases.push(endpoint);
    return lane;
  };
  for (const m of messages) {
    const from = touch(m.src);
    touch(m.dst);
    // User-Agent (requests) and Server (responses) name the software at the sending end.
    if (from.userAgent === null && m.userAgent) from.userAgent = m.userAgent;
  }
  return [...lanes.values()];
}

/**
 * Builds the ladder of the given messages. Lane `aliases` lists every "ip:port" endpoint the
 * lane stands for (one unless lanes are merged by host).
 */
export function buildLadder(input: LadderInput): LadderModel {
  const { messages, anomalies } = input;
  const aliases = input.aliases ?? {};
  const laneOf = input.merge === 'host' ? endpointHost : (endpoint: string) => endpoint;
  const lanes = buildLanes(messages, laneOf, aliases);

  const anomaliesByMessage = new Map<number, number[]>();
  for (const anomaly of anomalies) {
    for (const id of anomaly.messages) {
      const list = anomaliesByMessage.get(id);
      if (list) {
        if (!list.includes(anomaly.id)) list.push(anomaly.id);
      } else anomaliesByMessage.set(id, [anomaly.id]);
    }
  }

  const callIds: string[] = [];
  const copiesSeen = new Map<number, number>();
  const arrows: LadderArrow[] = [];
  const first = messages[0];
  let previous = first;
  for (const m of messages) {
    const callId = m.callId ?? '';
    if (!callIds.includes(callId)) callIds.push(callId);
    let copy = 1;
    if (m.retransmissionOf !== null) {
      copy = (copiesSeen.get(m.retransmissionOf) ?? 1) + 1;
      copiesSeen.set(m.retransmissionOf, copy);
    }
    arrows.push({
      message: m.id,
      from: laneOf(m.src),
      to: laneOf(m.dst),
      time: m.time,
      offset: secondsBetween(first.ts, m.ts),
      delta: secondsBetween(previous.ts, m.ts),
      label: arrowLabel(m),
      arrowClass: arrowClassOf(m),
      callId,
      transaction: m.transaction,
      dialog: m.dialog,
      retransmissionOf: m.retransmissionOf,
      copy,
      anomalies: anomaliesByMessage.get(m.id) ?? [],
      sdp: m.sdp ? sdpSummaryText(m.sdp) : null,
    });
    previous = m;
  }
  return { callIds, lanes, arrows, anomalies };
}
