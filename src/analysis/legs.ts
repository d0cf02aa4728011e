// Linking the legs of one end-to-end call that a B2BUA or SBC split into several Call-IDs.
// Strong evidence first (correlation headers, IMS charging id, Call-ID patterns); a guess from
// caller, callee, time and media only for calls nothing else links. The evidence of each call
// is noted when it is settled (a few numbers and shared strings), the links made at the end.
import type { Call, CallLegLink } from '../model.js';
import { StringTable, type MessageLog } from './message-log.js';
import type { CallState } from './state.js';

export interface LegLinkOptions {
  /** Applied to each Call-ID: calls whose first group (or whole match) is equal are legs of one call. */
  legLinkHeader?: RegExp;
  /** Calls with the same caller and callee users starting this close together may be legs of one call. */
  legGuessWindowSec: number;
}

/** The shorter Call-ID of a prefix / suffix relation must be this long to count (short ids relate by chance). */
const MIN_RELATED_CALL_ID = 8;

/** Links of one call beyond which a set tells the linked Call-IDs apart, rather than a scan. */
const SCAN_LIMIT = 8;

class LegLinks {
  /** Each linked call's links, the first link to each other call only. */
  private readonly links = new Map<number, CallLegLink[]>();
  private readonly linkedIds = new Map<number, Set<string>>();

  constructor(private readonly callIds: readonly string[]) {}

  link(a: number, b: number, reason: string, guess: boolean): void {
    if (a === b) return;
    this.one(a, b, reason, guess);
    this.one(b, a, reason, guess);
  }

  private one(from: number, to: number, reason: string, guess: boolean): void {
    const callId = this.callIds[to]!;
    const own = this.links.get(from);
    if (own === undefined) {
      this.links.set(from, [{ callId, reason, guess }]);
      return;
    }
    let ids = this.linkedIds.get(from);
    if (ids !== undefined) {
      if (ids.has(callId)) return;
      ids.add(callId);
    } else {
      if (own.some((l) => l.callId === callId)) return;
      if (own.length >= SCAN_LIMIT) this.linkedIds.set(from, (ids = new Set(own.map((l) => l.callId)).add(callId)));
    }
    own.push({ callId, reason, guess });
  }

  has(call: number): boolean {
    return this.links.has(call);
  }

  /** Links all calls that share a key to the first one seen with it. */
  byKey(keyOf: (call: number) => Iterable<string> | null, reason: string): void {
    const first = new Map<string, number>();
    for (let call = 0; call < this.callIds.length; call++) {
      const keys = keyOf(call);
      if (keys === null) continue;
      for (const key of keys) {
        const earlier = first.get(key);
        if (earlier === undefined) first.set(key, call);
        else this.link(earlier, call, reason, false);
      }
    }
  }

  result(): Map<number, CallLegLink[]> {
    return this.links;
  }
}

function isSeparator(code: number): boolean {
  const alnum = (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  return !alnum;
}

/** Call-IDs of which this one is the other plus a separated prefix or suffix ("abc@host" -> "abc@host_1", "b2b-abc@host"). */
function linkByCallIdShape(links: LegLinks, callIds: readonly string[], byId: ReadonlyMap<string, number>): void {
  // a part can only be a Call-ID of the capture if some Call-ID is that long
  const lengths = new Set<number>();
  for (const id of callIds) lengths.add(id.length);
  for (let call = 0; call < callIds.length; call++) {
    const id = callIds[call]!;
    for (let i = MIN_RELATED_CALL_ID; i < id.length - 1; i++) {
      if (!isSeparator(id.charCodeAt(i)) || !lengths.has(i)) continue;
      const base = byId.get(id.slice(0, i));
      if (base !== undefined) links.link(base, call, 'Call-ID prefix', false);
    }
    for (let i = 1; i < id.length - MIN_RELATED_CALL_ID; i++) {
      if (!isSeparator(id.charCodeAt(i)) || !lengths.has(id.length - i - 1)) continue;
      const base = byId.get(id.slice(i + 1));
      if (base !== undefined) links.link(base, call, 'Call-ID suffix', false);
    }
  }
}

function sharesCodec(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null || a.length === 0 || b.length === 0) return true;
  return a.some((c) => b.includes(c));
}

/** What the last-resort guess compares: INVITE calls with caller and callee users, one entry each. */
class GuessCandidates {
  readonly calls: number[] = [];
  /** Numbers of the users' table. */
  readonly callers: number[] = [];
  readonly callees: number[] = [];
  /** The opening INVITE: when, and its endpoint numbers. */
  readonly starts: number[] = [];
  readonly srcs: number[] = [];
  readonly dsts: number[] = [];
  readonly codecs: (readonly string[] | null)[] = [];
}

/** The evidence of every settled call, by call index. */
export class LegEvidence {
  private readonly callIds: string[] = [];
  private readonly xCallIds = new Map<number, ReadonlySet<string>>();
  private readonly icids = new Map<number, ReadonlySet<string>>();
  private readonly users = new StringTable();
  private readonly candidates = new GuessCandidates();

  constructor(private readonly options: LegLinkOptions) {}

  note(call: CallState, output: Call, log: MessageLog): void {
    this.callIds[call.index] = call.callId;
    if (call.xCallIds !== null) this.xCallIds.set(call.index, call.xCallIds);
    if (call.icids !== null) this.icids.set(call.index, call.icids);
    if (output.kind !== 'call' || output.caller.user === null || output.callee.user === null) return;
    const c = this.candidates;
    const invite = call.openingRequest;
    c.calls.push(call.index);
    c.callers.push(this.users.number(output.caller.user));
    c.callees.push(this.users.number(output.callee.user));
    c.starts.push(log.time(invite));
    c.srcs.push(log.srcNumber(invite));
    c.dsts.push(log.dstNumber(invite));
    c.codecs.push(call.firstOfferCodecs);
  }

  /** The legs of every linked call, by call index. */
  link(): Map<number, CallLegLink[]> {
    const callIds = this.callIds;
    const links = new LegLinks(callIds);
    const byId = new Map<string, number>();
    callIds.forEach((id, index) => byId.set(id, index));
    for (const [call, values] of this.xCallIds) {
      for (const value of values) {
        const other = byId.get(value);
        if (other !== undefined) links.link(other, call, 'X-Call-ID header', false);
      }
    }
    links.byKey((c) => this.xCallIds.get(c) ?? null, 'same X-Call-ID header');
    links.byKey((c) => this.icids.get(c) ?? null, 'P-Charging-Vector icid');
    const pattern = this.options.legLinkHeader;
    if (pattern !== undefined) {
      links.byKey((c) => {
        pattern.lastIndex = 0; // a /g or /y pattern would otherwise resume where the last Call-ID left it
        const m = pattern.exec(callIds[c]!);
        return m === null ? null : [m[1] ?? m[0]];
      }, `Call-ID pattern ${pattern.source}`);
    }
    linkByCallIdShape(links, callIds, byId);
    this.guess(links);
    return links.result();
  }

  /**
   * The last resort: two INVITE calls with the same caller and callee users, starting within the
   * window, on different hops (their INVITEs differ in source and in destination), with a codec
   * in common when both offered SDP. Each call is linked to the nearest such call after it.
   */
  private guess(links: LegLinks): void {
    const c = this.candidates;
    const order = c.calls.map((_, i) => i).sort((a, b) => c.calls[a]! - c.calls[b]!);
    const buckets = new Map<string, number[]>();
    for (const i of order) {
      if (links.has(c.calls[i]!)) continue;
      const key = `${c.callers[i]} ${c.callees[i]}`;
      let bucket = buckets.get(key);
      if (bucket === undefined) buckets.set(key, (bucket = []));
      bucket.push(i);
    }
    const windowSec = this.options.legGuessWindowSec;
    for (const bucket of buckets.values()) {
      if (bucket.length < 2) continue;
      bucket.sort((a, b) => c.starts[a]! - c.starts[b]!);
      for (let x = 0; x < bucket.length; x++) {
        const a = bucket[x]!;
        for (let y = x + 1; y < bucket.length && c.starts[bucket[y]!]! - c.starts[a]! <= windowSec; y++) {
          const b = bucket[y]!;
          if (c.srcs[a] === c.srcs[b] || c.dsts[a] === c.dsts[b]) continue;
          if (!sharesCodec(c.codecs[a] ?? null, c.codecs[b] ?? null)) continue;
          const delay = (c.starts[b]! - c.starts[a]!).toFixed(3);
          links.link(c.calls[a]!, c.calls[b]!, `guess: same caller and callee, INVITEs ${delay} s apart on different hops`, true);
          break;
        }
      }
    }
  }
}
