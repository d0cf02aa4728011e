// Linking the legs of one end-to-end call that a B2BUA or SBC split into several Call-IDs.
// Strong evidence first (correlation headers, IMS charging id, Call-ID patterns); a guess from
// caller, callee, time and media only for calls nothing else links.
import type { Call, CallLegLink } from '../model.js';
import type { MessageLog } from './message-log.js';
import type { CallState } from './state.js';

export interface LegLinkOptions {
  /** Applied to each Call-ID: calls whose first group (or whole match) is equal are legs of one call. */
  legLinkHeader?: RegExp;
  /** Calls with the same caller and callee users starting this close together may be legs of one call. */
  legGuessWindowSec: number;
}

/** The shorter Call-ID of a prefix / suffix relation must be this long to count (short ids relate by chance). */
const MIN_RELATED_CALL_ID = 8;

class LegLinks {
  private readonly links = new Map<number, Map<string, CallLegLink>>();

  constructor(private readonly calls: readonly CallState[]) {}

  link(a: CallState, b: CallState, reason: string, guess: boolean): void {
    if (a === b) return;
    this.one(a, b, reason, guess);
    this.one(b, a, reason, guess);
  }

  private one(from: CallState, to: CallState, reason: string, guess: boolean): void {
    let own = this.links.get(from.index);
    if (own === undefined) this.links.set(from.index, (own = new Map()));
    if (!own.has(to.callId)) own.set(to.callId, { callId: to.callId, reason, guess });
  }

  has(call: CallState): boolean {
    return this.links.has(call.index);
  }

  /** Links all calls that share a key to the first one seen with it. */
  byKey(keyOf: (call: CallState) => Iterable<string> | null, reason: string): void {
    const first = new Map<string, CallState>();
    for (const call of this.calls) {
      const keys = keyOf(call);
      if (keys === null) continue;
      for (const key of keys) {
        const earlier = first.get(key);
        if (earlier === undefined) first.set(key, call);
        else this.link(earlier, call, reason, false);
      }
    }
  }

  apply(outputs: Call[]): void {
    for (const [index, own] of this.links) outputs[index]!.legs = [...own.values()];
  }
}

function isSeparator(code: number): boolean {
  const alnum = (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  return !alnum;
}

/** Call-IDs of which this one is the other plus a separated prefix or suffix ("abc@host" -> "abc@host_1", "b2b-abc@host"). */
function linkByCallIdShape(links: LegLinks, calls: readonly CallState[], byId: ReadonlyMap<string, CallState>): void {
  for (const call of calls) {
    const id = call.callId;
    for (let i = MIN_RELATED_CALL_ID; i < id.length - 1; i++) {
      if (!isSeparator(id.charCodeAt(i))) continue;
      const base = byId.get(id.slice(0, i));
      if (base !== undefined) links.link(base, call, 'Call-ID prefix', false);
    }
    for (let i = 1; i < id.length - MIN_RELATED_CALL_ID; i++) {
      if (!isSeparator(id.charCodeAt(i))) continue;
      const base = byId.get(id.slice(i + 1));
      if (base !== undefined) links.link(base, call, 'Call-ID suffix', false);
    }
  }
}

function sharesCodec(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null || a.length === 0 || b.length === 0) return true;
  return a.some((c) => b.includes(c));
}

/**
 * The last resort: two INVITE calls with the same caller and callee users, starting within the
 * window, on different hops (their INVITEs differ in source and in destination), with a codec
 * in common when both offered SDP. Each call is linked to the nearest such call after it.
 */
function guessLegs(links: LegLinks, calls: readonly CallState[], outputs: readonly Call[], log: MessageLog, windowSec: number): void {
  const buckets = new Map<string, CallState[]>();
  for (const call of calls) {
    const out = outputs[call.index]!;
    if (out.kind !== 'call' || out.caller.user === null || out.callee.user === null || links.has(call)) continue;
    const key = `${out.caller.user}\u0000${out.callee.user}`;
    let bucket = buckets.get(key);
    if (bucket === undefined) buckets.set(key, (bucket = []));
    bucket.push(call);
  }
  for (const bucket of buckets.values()) {
    if (bucket.length < 2) continue;
    const startOf = (c: CallState) => log.time(c.opening!.requestId);
    bucket.sort((a, b) => startOf(a) - startOf(b));
    for (let i = 0; i < bucket.length; i++) {
      const a = bucket[i]!;
      const aInvite = a.opening!.requestId;
      for (let j = i + 1; j < bucket.length && startOf(bucket[j]!) - startOf(a) <= windowSec; j++) {
        const b = bucket[j]!;
        const bInvite = b.opening!.requestId;
        if (log.src(aInvite) === log.src(bInvite) || log.dst(aInvite) === log.dst(bInvite)) continue;
        if (!sharesCodec(a.firstOfferCodecs, b.firstOfferCodecs)) continue;
        const delay = (startOf(b) - startOf(a)).toFixed(3);
        links.link(a, b, `guess: same caller and callee, INVITEs ${delay} s apart on different hops`, true);
        break;
      }
    }
  }
}

export function linkCallLegs(calls: readonly CallState[], outputs: Call[], log: MessageLog, options: LegLinkOptions): void {
  const links = new LegLinks(calls);
  const byId = new Map(calls.map((c) => [c.callId, c] as const));
  for (const call of calls) {
    if (call.xCallIds === null) continue;
    for (const value of call.xCallIds) {
      const other = byId.get(value);
      if (other !== undefined) links.link(other, call, 'X-Call-ID header', false);
    }
  }
  links.byKey((c) => c.xCallIds, 'same X-Call-ID header');
  links.byKey((c) => c.icids, 'P-Charging-Vector icid');
  const pattern = options.legLinkHeader;
  if (pattern !== undefined) {
    links.byKey((c) => {
      pattern.lastIndex = 0; // a /g or /y pattern would otherwise resume where the last Call-ID left it
      const m = pattern.exec(c.callId);
      return m === null ? null : [m[1] ?? m[0]];
    }, `Call-ID pattern ${pattern.source}`);
  }
  linkByCallIdShape(links, calls, byId);
  guessLegs(links, calls, outputs, log, options.legGuessWindowSec);
  links.apply(outputs);
}
