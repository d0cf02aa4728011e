// The analysis worker reads a capture twice (where calls end, then the analysis) and writes
// each call as soon as it is settled, anomalies under provisional ids, and at the end the
// anomaly ids, the calls' anomaly lists and their legs. Two captures the corpus has no case
// of, checked call by call against the CLI's analysis: the 500-call mix replicated under new
// Call-IDs (every copy's calls are legs of the first copy's: "1.abc" ends with "abc"), and the
// mix repeated under the same Call-IDs (every call spans the whole capture).
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBenchCapture } from '../../bench/make-capture.js';
import type { Call } from '../../src/model.js';
import { bigCapture } from './helpers/captures.js';
import { plain, referenceAnalysis } from './helpers/reference.js';
import { getJson, ROOT, startServer, uploadRaw, waitSettled, type ServerProcess } from './helpers/server.js';

/** The mix three times, each copy's Call-IDs, tags and branches prefixed ("1.", "2."). */
async function replicatedMix(): Promise<string> {
  const path = join(tmpdir(), 'sipladder-test-callmix-replicated-3.pcapng');
  if (!existsSync(path)) await makeBenchCapture(join(ROOT, 'traces', 'callmix-udp-500.pcapng.gz'), path, 7_000_000);
  return path;
}

/** Every call row of a capture, in start order, read 500 at a time. */
async function allCallRows(base: string): Promise<unknown[]> {
  const rows: unknown[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await getJson(`${base}/calls?limit=500&offset=${offset}`);
    rows.push(...page.items);
    if (rows.length >= page.total) return rows;
  }
}

function callRow(c: Call, kindOf: Map<number, string>) {
  const { messages, transactions: _t, dialogs: _d, ...rest } = c;
  return { ...rest, messageCount: messages.length, anomalyKinds: [...new Set(c.anomalies.map((a) => kindOf.get(a)!))] };
}

describe('the analysis worker', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function analysed(path: string): Promise<string> {
    const r = await uploadRaw(server.url, path);
    expect(r.status).toBe(202);
    const { capture } = await r.json();
    expect((await waitSettled(server.url, capture.id, 120_000)).status).toBe('ready');
    return `${server.url}/api/captures/${capture.id}`;
  }

  /** Every call row, the anomalies and the registrations the API serves are the CLI's; so are the details of the chosen calls. */
  async function expectSameAnalysis(path: string, detailed: (c: Call) => boolean): Promise<void> {
    const base = await analysed(path);
    const { analysis } = await referenceAnalysis(path);
    const kindOf = new Map(analysis.anomalies.map((a) => [a.id, a.kind]));
    const expectedRows = analysis.calls
      .map((c, i) => ({ c, i }))
      .sort((a, b) => Number(a.c.startTime) - Number(b.c.startTime) || a.i - b.i)
      .map(({ c }) => callRow(c, kindOf));
    expect(await allCallRows(base)).toEqual(plain(expectedRows));
    expect((await getJson(`${base}/anomalies`)).items).toEqual(analysis.anomalies);
    expect((await getJson(base)).stats).toEqual(analysis.stats);
    const chosen = analysis.calls.filter(detailed);
    expect(chosen.length).toBeGreaterThan(0);
    for (const call of chosen) {
      const detail = await getJson(`${base}/calls/${encodeURIComponent(call.callId)}`);
      expect(detail.call).toEqual(call);
      expect(detail.transactions).toEqual(call.transactions.map((t) => analysis.transactions[t]));
      expect(detail.dialogs).toEqual(call.dialogs.map((d) => analysis.dialogs[d]));
    }
  }

  it('stores legs and anomaly ids that only the end of the capture decides (the mix under three sets of Call-IDs)', async () => {
    const path = await replicatedMix();
    const { analysis } = await referenceAnalysis(path);
    // the case this test is for: links between calls, anomalies across the copies
    expect(analysis.calls.filter((c) => c.legs.length > 0).length).toBeGreaterThan(500);
    expect(analysis.anomalies.length).toBeGreaterThan(10);
    let detailed = 0;
    await expectSameAnalysis(path, (c) => (c.legs.length > 0 || c.anomalies.length > 0) && detailed++ < 60);
  }, 240_000);

  it('keeps a call that spans the capture until its last message (the mix twice under the same Call-IDs)', async () => {
    const path = bigCapture(2);
    const { analysis } = await referenceAnalysis(path);
    expect(analysis.calls).toHaveLength(500);
    expect(analysis.calls[0]!.messages.length).toBeGreaterThan(10);
    let detailed = 0;
    await expectSameAnalysis(path, () => detailed++ < 40);
  }, 240_000);
});
