// Builds a large realistic capture for the benchmark: the bundled 500-call mix
// (traces/callmix-udp-500.pcapng.gz, Ethernet + IPv4 + UDP) replicated with fresh
// Call-IDs, tags, branches and times, until the file reaches the wanted size.
// Each replica k prefixes every Call-ID, tag and branch with `k` (base 36) and an `x`, so every
// call is distinct to an analyzer, and is shifted in time so the calls follow each other. The
// prefix ends in a letter, not a separator: `k.` made each replica's Call-ID the original plus a
// separated prefix, the shape a B2BUA gives its second leg, so every call of the capture was
// linked to its copies in the other replicas, which independent calls never are.
//
// SIPp gave all 500 calls of the source the same three RTP ports and one SDP session id.
// Real media servers hand every call its own ports from a range, and every offer its own
// session id (RFC 4566 §5.2: "a numeric string such that the tuple of <username>,
// <sess-id>, <nettype>, <addrtype>, and <unicast-address> forms a globally unique
// identifier for the session"). Left as they were, the repeated ports are pathological
// for Wireshark: its SDP dissector sets up an RTP conversation for every offer and answer
// (srtp_add_address, one per setup frame), all on the same address and port, and tshark
// 4.0's time per packet grows with their number: 12 MB took 5.8 s of CPU, 27 MB 25 s and
// 105 MB 439 s, against 1.7 s and 3.5 s for the first two with per-call media (about the
// same as with `-o sdp.establish_conversation:FALSE`). Each call therefore gets its own ports and
// session ids here (see MediaPlan).
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { readCapture } from '../src/capture/index.js';
import { scanSip } from '../src/sip/index.js';
import { enhancedPacket, ETHERNET, interfaceDescription, ipv4Checksum, sectionHeader } from './pcapng.js';

const BRANCH_COOKIE = 'z9hG4bK';

interface SourcePacket {
  sec: number;
  nsec: number;
  /** Ethernet + IPv4 header bytes (UDP header rebuilt per replica). */
  linkAndIp: Buffer;
  udpPorts: Buffer;
  payload: Buffer;
  /** Strings of this message to make unique per replica. */
  tokens: string[];
  /** Call-ID of a message with an SDP body (its media is renumbered per call), else null. */
  sdpCallId: string | null;
}

async function loadSource(path: string): Promise<SourcePacket[]> {
  const packets: SourcePacket[] = [];
  await readCapture(path, {
    packet(p) {
      const ihl = (p.data[ETHERNET] & 0x0f) * 4;
      if (p.linkType !== 1 || p.data[ETHERNET + 9] !== 17) return;
      const udp = ETHERNET + ihl;
      const payload = Buffer.from(p.data.subarray(udp + 8));
      const head = scanSip(payload, { datagram: true });
      const tokens = [head.callId, head.fromTag, head.toTag].filter((t): t is string => !!t && t.length >= 4);
      if (head.branch?.startsWith(BRANCH_COOKIE)) tokens.push(head.branch.slice(BRANCH_COOKIE.length));
      const hasSdp = head.callId !== null && payload.includes(SDP_START);
      packets.push({
        sec: p.ts.sec,
        nsec: p.ts.nsec,
        linkAndIp: Buffer.from(p.data.subarray(0, udp)),
        udpPorts: Buffer.from(p.data.subarray(udp, udp + 4)),
        payload,
        tokens,
        sdpCallId: hasSdp ? head.callId : null,
      });
    },
    warning() {},
  });
  return packets;
}

/** Changes whenever the generator writes different bytes, so a cached capture of an older one is not reused. */
export const BENCH_CAPTURE_VERSION = 3;

/** Header end followed by the first line of an SDP body (RFC 4566 §5: "v=" comes first). */
const SDP_START = Buffer.from('\r\n\r\nv=0');
/** Even RTP ports are handed out round-robin from this range, as a media server does (RTCP takes port + 1). */
const RTP_PORT_FIRST = 10000;
const RTP_PORT_COUNT = 25000;

/**
 * The media of every call made distinct: per replica, each (Call-ID, original port) gets
 * the next free RTP port and each (Call-ID, original session id) a new session id, kept
 * for the whole call so offer, answer, re-INVITEs and retransmissions agree.
 */
class MediaPlan {
  private ports = new Map<string, number>();
  private sessions = new Map<string, number>();
  private nextPort = 0;
  private nextSession = 0;

  /** Starts a replica: its calls are new calls. */
  newReplica(): void {
    this.ports.clear();
    this.sessions.clear();
  }

  port(callId: string, original: string): number {
    const key = `${callId} ${original}`;
    let port = this.ports.get(key);
    if (port === undefined) {
      port = RTP_PORT_FIRST + 2 * (this.nextPort++ % RTP_PORT_COUNT);
      this.ports.set(key, port);
    }
    return port;
  }

  /** A ten-digit id, like the NTP-time ids of the source. */
  session(callId: string, original: string): number {
    const key = `${callId} ${original}`;
    let id = this.sessions.get(key);
    if (id === undefined) {
      id = 1_000_000_000 + ((this.nextSession++ * 7_919) % 8_000_000_000);
      this.sessions.set(key, id);
    }
    return id;
  }
}

/**
 * The SDP body with the call's own ports (m= lines) and session id (o= line; the version
 * keeps its distance to the id, so a re-offer still counts up), and Content-Length set
 * to the body's new length.
 */
function renumberMedia(text: string, callId: string, plan: MediaPlan): string {
  const split = text.indexOf('\r\n\r\n') + 4;
  const body = text.slice(split)
    .replace(/^m=(\S+) (\d+)/gm, (_, media: string, port: string) => `m=${media} ${plan.port(callId, port)}`)
    .replace(/^o=(\S+) (\d+) (\d+)/m, (_, user: string, id: string, version: string) => {
      const session = plan.session(callId, id);
      return `o=${user} ${session} ${session + (Number(version) - Number(id))}`;
    });
  const head = text.slice(0, split).replace(/^(Content-Length|l)([ \t]*:[ \t]*)\d+/im, (_, name: string, colon: string) => `${name}${colon}${body.length}`);
  return head + body;
}

/** Replaces every occurrence of each token by prefix + token. */
function rewrite(payload: Buffer, tokens: string[], prefix: string): string {
  let text = payload.toString('latin1');
  for (const t of tokens) text = text.split(t).join(prefix + t);
  return text;
}

/** One source message as it appears in replica k (k = 0 keeps the Call-IDs, tags and branches). */
function replicate(p: SourcePacket, k: number, plan: MediaPlan): Buffer {
  if (k === 0 && p.sdpCallId === null) return p.payload;
  const text = k === 0 ? p.payload.toString('latin1') : rewrite(p.payload, p.tokens, `${k.toString(36)}x`);
  return Buffer.from(p.sdpCallId === null ? text : renumberMedia(text, p.sdpCallId, plan), 'latin1');
}

function frame(src: SourcePacket, payload: Buffer): Buffer {
  const ipLen = src.linkAndIp.length - ETHERNET;
  const out = Buffer.alloc(src.linkAndIp.length + 8 + payload.length);
  src.linkAndIp.copy(out, 0);
  out.writeUInt16BE(ipLen + 8 + payload.length, ETHERNET + 2);
  out.writeUInt16BE(0, ETHERNET + 10);
  out.writeUInt16BE(ipv4Checksum(out.subarray(ETHERNET, ETHERNET + ipLen)), ETHERNET + 10);
  const udp = src.linkAndIp.length;
  src.udpPorts.copy(out, udp);
  out.writeUInt16BE(8 + payload.length, udp + 4);
  out.writeUInt16BE(0, udp + 6); // checksum optional over IPv4 (RFC 768)
  payload.copy(out, udp + 8);
  return out;
}

/** Writes a pcapng of at least targetBytes; returns the number of packets written. */
export async function makeBenchCapture(sourcePath: string, outPath: string, targetBytes: number): Promise<number> {
  const source = await loadSource(sourcePath);
  if (source.length === 0) throw new Error(`no UDP SIP packets in ${sourcePath}`);
  const span = source[source.length - 1].sec - source[0].sec + 1;
  const out = createWriteStream(outPath);
  let written = 0;
  let packets = 0;
  const push = async (b: Buffer) => {
    written += b.length;
    if (!out.write(b)) await once(out, 'drain');
  };
  await push(sectionHeader());
  await push(interfaceDescription());
  const plan = new MediaPlan();
  for (let k = 0; written < targetBytes; k++) {
    plan.newReplica();
    for (const p of source) {
      await push(enhancedPacket(p.sec + k * span, p.nsec, frame(p, replicate(p, k, plan))));
      packets++;
    }
  }
  out.end();
  await once(out, 'finish');
  return packets;
}
