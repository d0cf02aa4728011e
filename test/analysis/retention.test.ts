// Memory grows with the calls, not with the messages. The scanner hands out substrings of each
// message's text; what the analysis keeps for the whole capture (Call-IDs, tags, branches, ...)
// it must copy, or every call would hold its messages' whole text alive: measured with
// messages made huge on purpose (a real call whose every message carries a 256 KB header, so
// that a kept substring shows as megabytes). And analyzeCapture, the CLI's path, lets go of
// each message once it has handed it on.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CallEndScanner, StreamingAnalyzer } from '../../src/analysis/index.js';
import { analyzeCapture } from '../../src/index.js';
import type { SipMessage } from '../../src/model.js';
import { decodeCapture } from '../../src/pipeline.js';
import { scanSip } from '../../src/sip/index.js';
import { IdentityCollector } from '../../src/views/anonymize.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const PADDING = 256 * 1024;
const CALLS = 40;

/** The messages of traces/call-basic-udp.pcapng (their bytes and what the decoder made of them). */
async function basicCall(): Promise<{ m: SipMessage; raw: Buffer }[]> {
  const messages: { m: SipMessage; raw: Buffer }[] = [];
  await decodeCapture(new URL('../../traces/call-basic-udp.pcapng', import.meta.url).pathname, {
    message(m, raw) {
      messages.push({ m, raw: Buffer.from(raw) });
    },
  });
  return messages;
}

/**
 * The call `calls` times over, each copy a call of its own (its Call-ID prefixed) whose
 * messages carry a huge header; made one at a time, so that only what their consumer keeps
 * outlives them.
 */
function* paddedCalls(call: { m: SipMessage; raw: Buffer }[], calls: number): Generator<SipMessage> {
  const padding = `X-Padding: ${'a'.repeat(PADDING)}\r\n`;
  let id = 0;
  for (let k = 0; k < calls; k++) {
    for (const { m, raw } of call) {
      // Each copy its own Call-ID and its own caller and callee.
      const text = raw.toString('latin1').replace(`Call-ID: ${m.callId}`, `Call-ID: ${k}-${m.callId}`).replaceAll(/sip:(alice|bob)@/g, `sip:$1${k}@`);
      const firstLine = text.indexOf('\r\n') + 2;
      const bytes = Buffer.from(text.slice(0, firstLine) + padding + text.slice(firstLine), 'latin1');
      yield { ...m, ...scanSip(bytes, { datagram: true }), id: id++, size: bytes.length };
    }
  }
}

/** Heap bytes still held, once garbage is collected, by what `consume` returns. */
function retainedBy(consume: () => unknown): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = consume();
  gc();
  const retained = process.memoryUsage().heapUsed - before;
  expect(kept).toBeDefined();
  return retained;
}

describe('what outlives a message', () => {
  it('live calls hold their own strings, not the messages they came from', async () => {
    const call = await basicCall();
    const retained = retainedBy(() => {
      // Calls are not settled before finish: all of them stay live, with everything they keep.
      const analyzer = new StreamingAnalyzer({ call() {}, anomaly() {}, end() {} });
      for (const m of paddedCalls(call, CALLS)) analyzer.addMessage(m);
      expect(analyzer.liveCalls).toBe(CALLS);
      return analyzer;
    });
    // One kept substring per call would already be CALLS * 256 KB = 10 MB.
    expect(retained).toBeLessThan(4 * 1024 * 1024);
  });

  it('the first pass keeps Call-IDs of their own', async () => {
    const call = await basicCall();
    const retained = retainedBy(() => {
      const scanner = new CallEndScanner();
      for (const m of paddedCalls(call, CALLS)) scanner.add(m);
      return scanner;
    });
    expect(retained).toBeLessThan(4 * 1024 * 1024);
  });

  it('analyzeCapture keeps no message once it has handed it on', async () => {
    const refs: WeakRef<SipMessage>[] = [];
    const result = await analyzeCapture(new URL('../../traces/callmix-udp-500.pcapng.gz', import.meta.url).pathname, {
      message(m, link) {
        expect(link).toHaveProperty('transaction');
        if (m.id % 25 === 0) refs.push(new WeakRef(m));
      },
    });
    expect(result.analysis.calls.length).toBe(500);
    // A WeakRef holds its target until the end of the job that made or read it.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(refs.length).toBeGreaterThan(100);
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  });

  it('the identities gathered for anonymised shares are copies', async () => {
    const call = await basicCall();
    const retained = retainedBy(() => {
      const identities = new IdentityCollector();
      for (const m of paddedCalls(call, CALLS)) identities.add(m);
      expect(identities.result().users).toContain(`alice${CALLS - 1}`);
      return identities;
    });
    expect(retained).toBeLessThan(4 * 1024 * 1024);
  });
});
