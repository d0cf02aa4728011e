// What the read endpoints answer, for a capture of one's own or through a share link: one
// implementation, given a Scope that says which capture, which calls, and whether every
// value must be anonymised. Share routes and capture routes differ only in how they
// resolve the scope.
import type { Writable } from 'node:stream';
import type { Anomaly, LadderModel, Registration } from '../src/model.js';
import { parseSipMessage, scanSip } from '../src/sip/index.js';
import { arrowLabel, buildLadder } from '../src/views/ladder.js';
import { Anonymizer } from '../src/views/anonymize.js';
import { exportFrames, LINKTYPE_ETHERNET, MAX_UDP_PAYLOAD, pcapGlobalHeader, pcapRecord, udpFrame } from '../src/views/pcap-export.js';
import { decodeRaw } from './store/raw-text.js';
import { snippetAround } from './store/SqliteStore.js';
import { partyName, type BlobStore, type CallQuery, type CallRow, type CaptureDetail, type LinkedMessage, type SearchHit, type Store } from './store/Store.js';
import { HttpError } from './validation.js';

/** Messages drawn in one ladder at most (a ladder of more is unreadable and heavy to send). */
export const MAX_LADDER_MESSAGES = 20_000;

/** Pseudonyms of one anonymised share, and the way back from a pseudonymous Call-ID. */
export class ShareAnonymizer {
  readonly anonymizer: Anonymizer;
  private reverse: Map<string, string> | null = null;
  private primed = false;

  constructor(secret: Buffer) {
    this.anonymizer = new Anonymizer(secret);
  }

  /**
   * Gives the capture's users, display names and the shared Call-IDs their pseudonyms first,
   * so that one that turns up in some free text (a message body, an explanation) is replaced
   * whatever the request, and the same way whichever request comes first.
   */
  async prime(store: Store, captureId: number, callIds: readonly string[] | null): Promise<void> {
    if (this.primed) return;
    this.anonymizer.learn(await store.identities(captureId));
    for (const id of callIds ?? (await store.callIds(captureId))) this.anonymizer.callId(id);
    this.primed = true;
  }

  /** The original Call-ID behind a pseudonym, among the shared calls, or null. */
  async originalCallId(store: Store, captureId: number, callIds: readonly string[] | null, pseudonym: string): Promise<string | null> {
    if (this.reverse === null) {
      const reverse = new Map<string, string>();
      for (const id of callIds ?? (await store.callIds(captureId))) reverse.set(this.anonymizer.callId(id), id);
      this.reverse = reverse;
    }
    return this.reverse.get(pseudonym) ?? null;
  }
}

export interface Scope {
  capture: CaptureDetail;
  /** The calls visible (original Call-IDs), or null for the whole capture. */
  callIds: string[] | null;
  messageId: number | null;
  /** Set for anonymised shares. */
  anon: ShareAnonymizer | null;
}

/** Whether a call may be shown in this scope. */
function inScope(scope: Scope, callId: string | null): boolean {
  return scope.callIds === null || (callId !== null && scope.callIds.includes(callId));
}

function includesFolded(haystack: string | null, needle: string): boolean {
  return haystack !== null && haystack.toLowerCase().includes(needle.toLowerCase());
}

const REGISTRATION_ORDER: Record<Registration['outcome'], number> = {
  failed: 0,
  'no-final-response': 1,
  pending: 2,
  unregistered: 3,
  registered: 4,
};

export class CaptureViews {
  constructor(private readonly store: Store, private readonly blobs: BlobStore) {}

  /** The original Call-IDs a request names (pseudonyms for anonymised shares), each checked against the scope. */
  async resolveCallIds(scope: Scope, requested: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const id of requested) {
      const original = scope.anon
        ? await scope.anon.originalCallId(this.store, scope.capture.id, scope.callIds, id)
        : id;
      if (original === null || !inScope(scope, original)) throw new HttpError(404, 'no such call');
      out.push(original);
    }
    return out;
  }

  /** The calls a view covers when the request names none: the share's, or (capture) none. */
  private defaultCallIds(scope: Scope, what: string): string[] {
    if (scope.callIds !== null) return scope.callIds;
    throw new HttpError(400, `missing 'callIds': which calls to ${what}`);
  }

  async calls(scope: Scope, query: CallQuery): Promise<{ total: number; items: CallRow[] }> {
    const captureId = scope.capture.id;
    const restricted: CallQuery = scope.callIds === null ? query : { ...query, callIds: scope.callIds };
    const anon = scope.anon;
    if (anon === null) return this.store.queryCalls(captureId, restricted);
    await anon.prime(this.store, captureId, scope.callIds);
    const a = anon.anonymizer;
    const bySortName = query.sort === 'caller' || query.sort === 'callee';
    if (query.user === undefined && query.callId === undefined && query.q === undefined && !bySortName) {
      const result = await this.store.queryCalls(captureId, restricted);
      return { total: result.total, items: result.items.map((row) => a.call(row)) };
    }
    // Text filters and name sorts must work on what the share shows (pseudonyms), never on
    // the hidden originals: they run here, on the parties of the calls the other filters keep.
    const { user, callId, q, offset, limit, sort, descending, ...filter } = restricted;
    const parties = await this.store.callParties(captureId, filter, bySortName ? 'startTime' : sort, bySortName ? false : descending);
    const shown = parties.map((p) => ({ callId: p.callId, pseudonym: a.callId(p.callId), caller: a.party(p.caller), callee: a.party(p.callee) }));
    const matches = (s: (typeof shown)[number]) =>
      (user === undefined || includesFolded(s.caller.user, user) || includesFolded(s.callee.user, user))
      && (callId === undefined || includesFolded(s.pseudonym, callId))
      && (q === undefined || [s.caller.user, s.caller.display, s.caller.uri, s.callee.user, s.callee.display, s.callee.uri, s.pseudonym].some((t) => includesFolded(t, q)));
    const kept = shown.filter(matches);
    if (bySortName) {
      const name = (s: (typeof shown)[number]) => partyName(sort === 'caller' ? s.caller : s.callee).toLowerCase();
      kept.sort((x, y) => (name(x) < name(y) ? -1 : name(x) > name(y) ? 1 : 0) * (descending ? -1 : 1));
    }
    const pageIds = kept.slice(offset, offset + limit).map((s) => s.callId);
    const rows = pageIds.length === 0 ? [] : (await this.store.queryCalls(captureId, { callIds: pageIds, offset: 0, limit: pageIds.length, sort: 'startTime', descending: false })).items;
    const byId = new Map(rows.map((r) => [r.callId, r]));
    return { total: kept.length, items: pageIds.map((id) => a.call(byId.get(id)!)) };
  }

  async call(scope: Scope, requestedCallId: string) {
    const [callId] = await this.resolveCallIds(scope, [requestedCallId]);
    const captureId = scope.capture.id;
    const call = await this.store.call(captureId, callId!);
    if (call === null) throw new HttpError(404, 'no such call');
    const [messages, transactions, dialogs, anomalies] = await Promise.all([
      this.store.messages(captureId, call.messages),
      this.store.transactions(captureId, call.transactions),
      this.store.dialogs(captureId, call.dialogs),
      this.store.anomalies(captureId, [call.callId]),
    ]);
    const anon = scope.anon;
    if (anon === null) return { call, messages, transactions, dialogs, anomalies };
    await anon.prime(this.store, captureId, scope.callIds);
    const a = anon.anonymizer;
    return {
      call: { ...a.call(call), messages: call.messages, transactions: call.transactions, dialogs: call.dialogs },
      messages: messages.map((m) => a.message(m)),
      transactions: transactions.map((t) => a.transaction(t)),
      dialogs: dialogs.map((d) => a.dialog(d)),
      anomalies: anomalies.map((x) => a.anomaly(x)),
    };
  }

  async ladder(scope: Scope, requested: string[] | undefined, merge: 'none' | 'host'): Promise<LadderModel> {
    const callIds = requested === undefined ? this.defaultCallIds(scope, 'draw') : await this.resolveCallIds(scope, requested);
    const captureId = scope.capture.id;
    const calls = await this.store.calls(captureId, callIds);
    if (calls.length === 0) throw new HttpError(404, 'no such call');
    const ids = [...new Set(calls.flatMap((c) => c.messages))].sort((x, y) => x - y);
    if (ids.length > MAX_LADDER_MESSAGES) throw new HttpError(413, `these calls have ${ids.length} messages; a ladder shows at most ${MAX_LADDER_MESSAGES}`);
    let messages: LinkedMessage[] = await this.store.messages(captureId, ids);
    let anomalies: Anomaly[] = await this.store.anomalies(captureId, calls.map((c) => c.callId));
    let aliases = await this.store.aliases(captureId);
    if (scope.anon !== null) {
      await scope.anon.prime(this.store, captureId, scope.callIds);
      const a = scope.anon.anonymizer;
      messages = messages.map((m) => a.message(m));
      anomalies = anomalies.map((x) => a.anomaly(x));
      // Host names chosen by the capture's owner may name people or sites: not shared.
      aliases = {};
    }
    return buildLadder({ messages, anomalies, aliases, merge });
  }

  async message(scope: Scope, id: number) {
    const captureId = scope.capture.id;
    const stored = await this.store.message(captureId, id);
    if (stored === null || !inScope(scope, stored.message.callId)) throw new HttpError(404, 'no such message');
    let { message, raw } = stored;
    const { encoding } = decodeRaw(raw);
    if (scope.anon !== null) {
      await scope.anon.prime(this.store, captureId, scope.callIds);
      const a = scope.anon.anonymizer;
      raw = a.sipMessage(raw, encoding);
      // Pseudonyms are not as long as what they replace: the sizes are those of the text shown.
      const head = scanSip(raw, { datagram: message.transport === 'UDP' || message.transport === 'SCTP' });
      message = { ...a.message(message), size: raw.length, contentLength: head.contentLength, bodyLength: head.bodyLength };
    }
    const parsed = parseSipMessage(raw);
    const [transaction] = message.transaction === null ? [] : await this.store.transactions(captureId, [message.transaction]);
    const [dialog] = message.dialog === null ? [] : await this.store.dialogs(captureId, [message.dialog]);
    const a = scope.anon?.anonymizer;
    return {
      message,
      raw: raw.toString(encoding),
      rawEncoding: encoding,
      headers: parsed.headers.map((h) => ({ name: h.name, value: h.value })),
      body: decodeRaw(parsed.body).text,
      parts: parsed.parts.map((p) => ({ contentType: p.contentType, body: decodeRaw(p.body).text })),
      sdp: parsed.sdp,
      transaction: transaction === undefined ? null : a ? a.transaction(transaction) : transaction,
      dialog: dialog === undefined ? null : a ? a.dialog(dialog) : dialog,
    };
  }

  async search(scope: Scope, text: string, limit: number): Promise<{ total: number; items: SearchHit[] }> {
    const captureId = scope.capture.id;
    if (scope.anon === null) return this.store.searchMessages(captureId, text, limit, scope.callIds);
    // An anonymised share searches what it shows: each message's anonymised text.
    await scope.anon.prime(this.store, captureId, scope.callIds);
    const a = scope.anon.anonymizer;
    const needle = text.toLowerCase();
    const items: SearchHit[] = [];
    let total = 0;
    for await (const { message, raw } of this.store.eachMessage(captureId, scope.callIds)) {
      const { encoding } = decodeRaw(raw);
      const anonymized = a.sipText(raw.toString(encoding), encoding);
      if (!anonymized.toLowerCase().includes(needle)) continue;
      total++;
      if (items.length < limit) {
        items.push({
          message: message.id,
          callId: message.callId === null ? null : a.callId(message.callId),
          frame: message.frame,
          time: message.time,
          label: a.text(arrowLabel(message)),
          snippet: snippetAround(anonymized, text),
        });
      }
    }
    return { total, items };
  }

  async registrations(scope: Scope): Promise<{ items: Registration[] }> {
    const captureId = scope.capture.id;
    const items = (await this.store.registrations(captureId, scope.callIds))
      .map((r, index) => ({ r, index }))
      .sort((x, y) => REGISTRATION_ORDER[x.r.outcome] - REGISTRATION_ORDER[y.r.outcome] || x.index - y.index)
      .map((x) => x.r);
    if (scope.anon === null) return { items };
    await scope.anon.prime(this.store, captureId, scope.callIds);
    const a = scope.anon.anonymizer;
    return { items: items.map((r) => a.registration(r)) };
  }

  async anomalies(scope: Scope): Promise<{ items: Anomaly[]; byKind: Record<string, number> }> {
    const captureId = scope.capture.id;
    let items = await this.store.anomalies(captureId, scope.callIds);
    if (scope.anon !== null) {
      await scope.anon.prime(this.store, captureId, scope.callIds);
      const a = scope.anon.anonymizer;
      items = items.map((x) => a.anomaly(x));
    }
    const byKind: Record<string, number> = {};
    for (const x of items) byKind[x.kind] = (byKind[x.kind] ?? 0) + 1;
    return { items, byKind };
  }

  /** The Call-IDs an export covers: those asked for, or the scope's, or (whole capture) every call. */
  async exportCallIds(scope: Scope, requested: string[] | undefined): Promise<string[] | null> {
    if (requested !== undefined) return this.resolveCallIds(scope, requested);
    return scope.callIds;
  }

  /**
   * Writes the pcap of the calls (null: every call) to `out` (not ended). The original frames,
   * or for an anonymised share a synthetic UDP frame per anonymised message.
   */
  async exportPcap(scope: Scope, callIds: string[] | null, out: Writable): Promise<void> {
    const captureId = scope.capture.id;
    if (scope.anon === null) {
      const frames = new Set<number>();
      for await (const { message } of this.store.eachMessage(captureId, callIds)) for (const f of message.frames) frames.add(f);
      await exportFrames(this.blobs.open(scope.capture.sha256), frames, out);
      return;
    }
    await scope.anon.prime(this.store, captureId, scope.callIds);
    const a = scope.anon.anonymizer;
    const write = async (b: Buffer) => {
      if (!out.write(b)) await new Promise<void>((resolve) => {
        out.once('drain', resolve);
        out.once('close', resolve);
      });
      if (out.destroyed) throw new Error('the output was closed');
    };
    await write(pcapGlobalHeader(LINKTYPE_ETHERNET, true));
    for await (const { message, raw } of this.store.eachMessage(captureId, callIds)) {
      const payload = a.sipMessage(raw, decodeRaw(raw).encoding);
      const frame = udpFrame(a.endpoint(message.src), a.endpoint(message.dst), payload);
      const cut = Math.max(0, payload.length - MAX_UDP_PAYLOAD);
      await write(pcapRecord(message.ts, frame, frame.length + cut, true));
    }
  }
}
