// Every corpus capture (pcapng variant) uploaded over HTTP, then read back: calls, call
// details, ladders, registrations and anomalies must equal what the CLI's analysis
// (decodeCapture + Analyzer, in-process) finds in the same file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLadder } from '../../src/views/ladder.js';
import type { Call, Registration } from '../../src/model.js';
import { plain, referenceAnalysis } from './helpers/reference.js';
import { corpusFile, corpusNames, getJson, startServer, uploadMultipart, uploadRaw, waitSettled, type ServerProcess } from './helpers/server.js';

/** Call details and ladders checked per capture at most (the 500-call mix would take long). */
const DETAILED_CALLS = 40;

function callRow(c: Call, kindOf: Map<number, string>) {
  const { messages, transactions: _t, dialogs: _d, ...rest } = c;
  return { ...rest, messageCount: messages.length, anomalyKinds: [...new Set(c.anomalies.map((a) => kindOf.get(a)!))] };
}

const REGISTRATION_ORDER = ['failed', 'no-final-response', 'pending', 'unregistered', 'registered'];

describe('the corpus through the API', () => {
  let server: ServerProcess;
  const ids = new Map<string, number>();

  beforeAll(async () => {
    server = await startServer();
    for (const [i, name] of corpusNames().entries()) {
      // Half of them multipart, half raw bodies.
      const r = i % 2 === 0 ? await uploadMultipart(server.url, corpusFile(name)) : await uploadRaw(server.url, corpusFile(name));
      expect(r.status, name).toBe(202);
      ids.set(name, (await r.json()).capture.id);
    }
    for (const [name, id] of ids) expect((await waitSettled(server.url, id)).status, name).toBe('ready');
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('lists every capture, newest first', async () => {
    const { items } = await getJson(`${server.url}/api/captures`);
    expect(items.map((c: { id: number }) => c.id)).toEqual([...ids.values()].sort((a, b) => b - a));
    expect(items.every((c: { status: string }) => c.status === 'ready')).toBe(true);
  });

  it.each(corpusNames())('%s: the API serves the analysis of the CLI', async (name) => {
    const base = `${server.url}/api/captures/${ids.get(name)}`;
    const ref = await referenceAnalysis(corpusFile(name));
    const { analysis } = ref;

    const capture = await getJson(base);
    expect(capture.messages).toBe(ref.messages.length);
    expect(capture.calls).toBe(analysis.calls.length);
    expect(capture.stats).toEqual(analysis.stats);

    // Calls, in start order (capture order breaks ties), one page of up to 500.
    const kindOf = new Map(analysis.anomalies.map((a) => [a.id, a.kind]));
    const expectedRows = analysis.calls
      .map((c, i) => ({ c, i }))
      .sort((a, b) => Number(a.c.startTime) - Number(b.c.startTime) || a.i - b.i)
      .map(({ c }) => callRow(c, kindOf));
    const page = await getJson(`${base}/calls?limit=500`);
    expect(page.total).toBe(analysis.calls.length);
    expect(page.items).toEqual(plain(expectedRows));

    for (const call of analysis.calls.slice(0, DETAILED_CALLS)) {
      const id = encodeURIComponent(call.callId);
      const detail = await getJson(`${base}/calls/${id}`);
      expect(detail.call).toEqual(call);
      expect(detail.messages).toEqual(call.messages.map((m) => ref.messages[m]));
      expect(detail.transactions).toEqual(call.transactions.map((t) => analysis.transactions[t]));
      expect(detail.dialogs).toEqual(call.dialogs.map((d) => analysis.dialogs[d]));
      const anomalies = analysis.anomalies.filter((a) => a.callId === call.callId);
      expect(detail.anomalies).toEqual(anomalies);

      const ladder = await getJson(`${base}/ladder?callIds=${id}`);
      expect(ladder).toEqual(plain(buildLadder({ messages: call.messages.map((m) => ref.messages[m]!), anomalies, aliases: {}, merge: 'none' })));
    }

    const registrations = await getJson(`${base}/registrations`);
    const ordered = analysis.registrations
      .map((r, i) => ({ r, i }))
      .sort((a, b) => REGISTRATION_ORDER.indexOf(a.r.outcome) - REGISTRATION_ORDER.indexOf(b.r.outcome) || a.i - b.i)
      .map(({ r }): Registration => r);
    expect(registrations.items).toEqual(ordered);

    const anomalies = await getJson(`${base}/anomalies`);
    expect(anomalies.items).toEqual(analysis.anomalies);

    // A message exactly as captured.
    const last = ref.messages.length - 1;
    const message = await getJson(`${base}/messages/${last}`);
    expect(message.message).toEqual(ref.messages[last]);
    expect(Buffer.from(message.raw, message.rawEncoding)).toEqual(ref.raws[last]);
  });

  it('filters, sorts and pages the 500-call mix as the analysis says', async () => {
    const base = `${server.url}/api/captures/${ids.get('callmix-udp-500')}`;
    const { messages, analysis } = await referenceAnalysis(corpusFile('callmix-udp-500'));
    const indexed = analysis.calls.map((c, i) => ({ c, i }));
    const byStart = (a: { c: Call; i: number }, b: { c: Call; i: number }) => Number(a.c.startTime) - Number(b.c.startTime) || a.i - b.i;
    const callIdsOf = (list: { c: Call }[]) => list.map(({ c }) => c.callId);
    const fetchIds = async (query: string) => {
      const page = await getJson(`${base}/calls?${query}`);
      return { total: page.total as number, ids: page.items.map((c: Call) => c.callId) as string[] };
    };
    const has = (c: Call, test: (m: (typeof messages)[number]) => boolean) => c.messages.some((m) => test(messages[m]!));
    const cases: [string, (x: { c: Call; i: number }) => boolean][] = [
      ['outcome=busy', ({ c }) => c.outcome === 'busy'],
      ['status=486', ({ c }) => has(c, (m) => m.status === 486)],
      ['method=CANCEL', ({ c }) => has(c, (m) => m.method === 'CANCEL')],
      ['anomaly=service-unavailable-not-retried', ({ c }) => c.anomalies.some((a) => analysis.anomalies[a]!.kind === 'service-unavailable-not-retried')],
      ['outcome=completed&status=180', ({ c }) => c.outcome === 'completed' && has(c, (m) => m.status === 180)],
      [`user=${analysis.calls[7]!.callee.user}`, ({ c }) => [c.caller.user, c.callee.user].some((u) => u?.includes(analysis.calls[7]!.callee.user!))],
      ['callId=12-', ({ c }) => c.callId.includes('12-')],
      [`from=${Number(analysis.calls[100]!.startTime)}&to=${Number(analysis.calls[150]!.startTime)}`,
        ({ c }) => Number(c.startTime) >= Number(analysis.calls[100]!.startTime) && Number(c.startTime) <= Number(analysis.calls[150]!.startTime)],
    ];
    for (const [query, keep] of cases) {
      const expected = indexed.filter(keep).sort(byStart);
      expect(expected.length, query).toBeGreaterThan(0);
      expect(await fetchIds(`${query}&limit=500`), query).toEqual({ total: expected.length, ids: callIdsOf(expected) });
    }
    const longest = indexed.filter(({ c }) => c.duration !== null).sort((a, b) => b.c.duration! - a.c.duration! || b.i - a.i);
    expect((await fetchIds('sort=-duration&limit=20')).ids).toEqual(callIdsOf(longest.slice(0, 20)));
    const all = indexed.sort(byStart);
    expect(await fetchIds('offset=450&limit=100')).toEqual({ total: 500, ids: callIdsOf(all.slice(450)) });
  });

  it('searches the raw text of every message', async () => {
    const base = `${server.url}/api/captures/${ids.get('compact-headers-multipart')}`;
    const ref = await referenceAnalysis(corpusFile('compact-headers-multipart'));
    const hits = ref.raws.flatMap((raw, i) => (raw.toString('latin1').toLowerCase().includes('geolocation') ? [i] : []));
    expect(hits.length).toBeGreaterThan(0);
    const result = await getJson(`${base}/search?q=GeoLocation&limit=500`);
    expect(result.total).toBe(hits.length);
    expect(result.items.map((h: { message: number }) => h.message)).toEqual(hits);
    expect(result.items[0]).toMatchObject({ callId: ref.messages[hits[0]!]!.callId, frame: ref.messages[hits[0]!]!.frame });
    expect(result.items[0].snippet.toLowerCase()).toContain('geolocation');
    expect((await getJson(`${base}/search?q=${encodeURIComponent('"quoted%_')}`)).total).toBe(0);
    // three characters, one of them outside the BMP: accepted, and found nowhere
    expect((await getJson(`${base}/search?q=${encodeURIComponent('ab\u{1F600}')}`)).total).toBe(0);
  });

  it('merges the lanes of one host when asked', async () => {
    const base = `${server.url}/api/captures/${ids.get('call-basic-udp')}`;
    const ref = await referenceAnalysis(corpusFile('call-basic-udp'));
    const call = ref.analysis.calls[0]!;
    const ladder = await getJson(`${base}/ladder?callIds=${encodeURIComponent(call.callId)}&merge=host`);
    expect(ladder).toEqual(plain(buildLadder({ messages: call.messages.map((m) => ref.messages[m]!), anomalies: [], aliases: {}, merge: 'host' })));
  });
});
