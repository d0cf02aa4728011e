// Linking the legs of one end-to-end call that a B2BUA or SBC split into several Call-IDs.
// Strong evidence first (correlation headers, IMS charging id, Call-ID patterns); a guess from
// caller, callee, time and media only for calls nothing else links. The evidence of each call
// is noted when it is settled (a few numbers and shared strings), the links made at the end.
import type { Call, CallLegLink } from '../model.js';
import { NONE, StringTable, type MessageLog } from './message-log.js';
import type { CallState } from './state.js';

export interface LegLinkOptions {
  /** Applied to each Call-ID: calls whose first group (or whole match) is equal are legs of one call. */
  legLinkHeader?: RegExp;
  /** Calls with the same caller and callee users starting this close together may be legs of one call. */
  legGuessWindowSec: number;
}

/** The shorter Call-ID of a prefix / suffix relation must be this long to count (short ids relate by chance). */
const MIN_RELATED_CALL_ID = 8;

/** Links of one call beyond which a set tells the linked calls apart, rather than a scan. */
const SCAN_LIMIT = 8;

class LegLinks {
  /** Each call's links by call index (undefined: none yet), the first link to each other call only. */
  private readonly links: (CallLegLink[] | undefined)[] = [];
  /** The linked Call-IDs of a call with many links, by call index. */
  private readonly linkedIds = new Map<number, Set<string>>();

  constructor(private readonly callIds: readonly string[]) {
    for (let i = 0; i < callIds.length; i++) this.links.push(undefined);
  }

  link(a: number, b: number, reason: string, guess: boolean): void {
    if (a === b) return;
    this.one(a, b, reason, guess);
    this.one(b, a, reason, guess);
  }

  private one(from: number, to: number, reason: string, guess: boolean): void {
    const callId = this.callIds[to]!;
    const own = this.links[from];
    if (own === undefined) {
      this.links[from] = [{ callId, reason, guess }];
      return;
    }
    let ids = this.linkedIds.get(from);
    if (ids !== undefined) {
      if (ids.has(callId)) return;
      ids.add(callId);
    } else {
      for (let i = 0; i < own.length; i++) if (own[i]!.callId === callId) return;
      if (own.length >= SCAN_LIMIT) this.linkedIds.set(from, (ids = new Set(own.map((l) => l.callId)).add(callId)));
    }
    own.push({ callId, reason, guess });
  }

  has(call: number): boolean {
    return this.links[call] !== undefined;
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
    const result = new Map<number, CallLegLink[]>();
    const links = this.links;
    for (let call = 0; call < links.length; call++) if (links[call] !== undefined) result.set(call, links[call]!);
    return result;
  }
}

function isSeparator(code: number): boolean {
  const alnum = (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  return !alnum;
}

/** Step of the rolling hashes of Call-ID parts (the FNV prime). */
const HASH_STEP = 0x01000193;

/** A rolling hash with one more character. */
function hashStep(hash: number, code: number): number {
  return (Math.imul(hash, HASH_STEP) + code) | 0;
}

/** Spreads a rolling hash's bits over its low ones, which pick its slot (MurmurHash3's finalizer). */
function slotOf(hash: number, mask: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h & mask;
}

/**
 * Every Call-ID by its polynomial hash, in an open-addressing table. The hash of any part of a
 * Call-ID follows from the hashes of its prefixes (as in Rabin-Karp: h(s[a, b)) =
 * h(s[0, b)) - h(s[0, a)) * STEP^(b - a), in 32-bit arithmetic), so each part is looked up
 * without cutting it out of the Call-ID.
 */
class CallIdTable {
  /** Call index + 1 per slot, 0 for an empty one. */
  private readonly calls: Int32Array;
  private readonly hashes: Int32Array;
  private readonly mask: number;

  constructor(private readonly callIds: readonly string[]) {
    let size = 16;
    while (size < callIds.length * 2) size *= 2;
    this.calls = new Int32Array(size);
    this.hashes = new Int32Array(size);
    this.mask = size - 1;
    // the last call first: a lookup finds the latest of equal Call-IDs, as a map of Call-IDs would
    for (let call = callIds.length - 1; call >= 0; call--) this.enter(call, hashOf(callIds[call]!));
  }

  private enter(call: number, hash: number): void {
    let slot = slotOf(hash, this.mask);
    while (this.calls[slot] !== 0) slot = (slot + 1) & this.mask;
    this.calls[slot] = call + 1;
    this.hashes[slot] = hash;
  }

  /** The call with this Call-ID, or NONE. */
  callOf(id: string): number {
    return this.find(id, 0, id.length, hashOf(id));
  }

  /** The call whose Call-ID is id[start, end), given that part's hash, or NONE. */
  find(id: string, start: number, end: number, hash: number): number {
    for (let slot = slotOf(hash, this.mask); this.calls[slot] !== 0; slot = (slot + 1) & this.mask) {
      if (this.hashes[slot] !== hash) continue;
      const call = this.calls[slot]! - 1;
      if (isPart(this.callIds[call]!, id, start, end)) return call;
    }
    return NONE;
  }
}

function hashOf(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = hashStep(hash, id.charCodeAt(i));
  return hash;
}

/** Whether `whole` is id[start, end). */
function isPart(whole: string, id: string, start: number, end: number): boolean {
  if (whole.length !== end - start) return false;
  for (let i = 0; i < whole.length; i++) if (whole.charCodeAt(i) !== id.charCodeAt(start + i)) return false;
  return true;
}

/**
 * Links the calls whose Call-ID is another's plus a separated prefix or suffix ("abc@host" ->
 * "abc@host_1", "b2b-abc@host"). Each call is one call of linkCall: a function called for every
 * call is optimised as soon as it is hot, where one loop over every call would run interpreted
 * until on-stack replacement, a large part of a single pass.
 */
class ShapeLinker {
  /** lengths[n] is 1 when some Call-ID has n characters: only a part that long can be a Call-ID of the capture. */
  private readonly lengths: Uint8Array;
  /** prefixHashes[i]: the hash of id[0, i) of the Call-ID at hand. */
  private readonly prefixHashes: Int32Array;
  /** powers[n]: HASH_STEP^n. */
  private readonly powers: Int32Array;

  constructor(
    private readonly callIds: readonly string[],
    private readonly table: CallIdTable,
  ) {
    let longest = 0;
    for (const id of callIds) longest = Math.max(longest, id.length);
    this.lengths = new Uint8Array(longest + 1);
    for (const id of callIds) this.lengths[id.length] = 1;
    this.prefixHashes = new Int32Array(longest + 1);
    this.powers = new Int32Array(longest + 1);
    this.powers[0] = 1;
    for (let n = 1; n <= longest; n++) this.powers[n] = Math.imul(this.powers[n - 1]!, HASH_STEP);
  }

  linkCall(links: LegLinks, call: number): void {
    const { lengths, prefixHashes, powers } = this;
    const id = this.callIds[call]!;
    const length = id.length;
    let hash = 0;
    for (let i = 0; i < length; i++) prefixHashes[i + 1] = hash = hashStep(hash, id.charCodeAt(i));
    // prefixes id[0, i) followed by a separator at i
    for (let i = MIN_RELATED_CALL_ID; i < length - 1; i++) {
      if (lengths[i] !== 1 || !isSeparator(id.charCodeAt(i))) continue;
      const base = this.table.find(id, 0, i, prefixHashes[i]!);
      if (base !== NONE) links.link(base, call, 'Call-ID prefix', false);
    }
    // suffixes id[i + 1, length) after a separator at i
    for (let i = 1; i < length - MIN_RELATED_CALL_ID; i++) {
      const partLength = length - i - 1;
      if (lengths[partLength] !== 1 || !isSeparator(id.charCodeAt(i))) continue;
      const partHash = (hash - Math.imul(prefixHashes[i + 1]!, powers[partLength]!)) | 0;
      const base = this.table.find(id, i + 1, length, partHash);
      if (base !== NONE) links.link(base, call, 'Call-ID suffix', false);
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
    const table = new CallIdTable(callIds);
    for (const [call, values] of this.xCallIds) {
      for (const value of values) {
        const other = table.callOf(value);
        if (other !== NONE) links.link(other, call, 'X-Call-ID header', false);
      }
    }
    if (this.xCallIds.size > 0) links.byKey((c) => this.xCallIds.get(c) ?? null, 'same X-Call-ID header');
    if (this.icids.size > 0) links.byKey((c) => this.icids.get(c) ?? null, 'P-Charging-Vector icid');
    const pattern = this.options.legLinkHeader;
    if (pattern !== undefined) {
      links.byKey((c) => {
        pattern.lastIndex = 0; // a /g or /y pattern would otherwise resume where the last Call-ID left it
        const m = pattern.exec(callIds[c]!);
        return m === null ? null : [m[1] ?? m[0]];
      }, `Call-ID pattern ${pattern.source}`);
    }
    const shapes = new ShapeLinker(callIds, table);
    for (let call = 0; call < callIds.length; call++) shapes.linkCall(links, call);
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
