// Calls settled as early as possible. With where calls end (CallEnds, from a first pass over
// the same capture) the analyzer converts each call at its last message, hands it to its sink
// and lets go of it, so that it holds only the calls still running; the analysis must be the
// one of a pass that keeps every call to the end, on every corpus capture and capture end.
// Also the maps a call builds once it has many transactions, dialogs or tags.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Analyzer, analyzeMessages, StreamingAnalyzer, type AnalysisEnd, type CallResult,
} from '../../src/analysis/index.js';
import type { Anomaly, SipMessage, Timestamp } from '../../src/model.js';
import { CORPUS_DIR } from './corpus-messages.js';
import { added, analyze, callEndsOf, corpus, moved, runOn, shift, type Capture } from './helpers.js';

const captures = readdirSync(CORPUS_DIR).filter((n) => existsSync(join(CORPUS_DIR, n, 'expected.json'))).sort();

function analyzeWithCallEnds(messages: readonly SipMessage[], end: Timestamp | null) {
  const analyzer = new Analyzer({}, callEndsOf(messages, end));
  for (const m of messages) analyzer.add(m);
  return analyzer.finish(end);
}

/** The anomalies a sink got, under the ids the end gave them. */
function renumbered(anomalies: readonly Anomaly[], end: AnalysisEnd): Anomaly[] {
  const out: Anomaly[] = [];
  anomalies.forEach((a, provisional) => (out[end.anomalyIds[provisional]!] = { ...a, id: end.anomalyIds[provisional]! }));
  return out;
}

/** callmix-udp-500 replayed `copies` times, 100 s apart, each copy under its own Call-IDs. */
function replayedMix(copies: number): SipMessage[] {
  const { messages } = corpus('callmix-udp-500');
  const all: SipMessage[] = [];
  for (let k = 0; k < copies; k++) {
    for (const m of messages) {
      all.push({ ...moved(m, k * 100), id: k * messages.length + m.id, callId: `${k}.${m.callId}`, branch: m.branch && `${m.branch}.${k}` });
    }
  }
  return all;
}

describe('settling each call at its last message', () => {
  it.each(captures)('%s: gives the analysis of the whole capture, whatever its end', (name) => {
    const c = corpus(name);
    for (const end of [c.end, null, shift(c.end, 40), shift(c.end, 200)]) {
      expect(analyzeWithCallEnds(c.messages, end)).toEqual(analyzeMessages(c.messages, end));
    }
  });

  it('hands each call over at its last message and holds only the calls still running (callmix-udp-500 x 20)', () => {
    const all = replayedMix(20);
    const end = all[all.length - 1]!.ts;
    let adding = -1;
    const handedAt: number[] = [];
    const anomalies: Anomaly[] = [];
    let ended: AnalysisEnd | null = null;
    const sink = {
      call: (r: CallResult) => {
        expect(r.call.messages[r.call.messages.length - 1]).toBe(adding);
        handedAt.push(adding);
      },
      anomaly: (a: Anomaly) => anomalies.push(a),
      end: (e: AnalysisEnd) => (ended = e),
    };
    const analyzer = new StreamingAnalyzer(sink, {}, callEndsOf(all, end));
    let mostLive = 0;
    for (const m of all) {
      adding = m.id;
      analyzer.add(m);
      mostLive = Math.max(mostLive, analyzer.liveCalls);
    }
    analyzer.finish(end);
    expect(handedAt).toHaveLength(500 * 20);
    expect(analyzer.liveCalls).toBe(0);
    // about one copy's worth of calls at a time, never the whole capture's
    expect(mostLive).toBeLessThan(500);

    expect(renumbered(anomalies, ended!)).toEqual(analyzeMessages(all, end).anomalies);
  });

  it('numbers anomalies in the catalogue\'s order, not in the order their calls end', () => {
    // an INVITE that times out over 32 s, and inside that time a call failing with 503 that ends first
    const timeout = corpus('anomaly-invite-no-response').messages;
    const start = timeout[0]!.ts.sec + timeout[0]!.ts.nsec / 1e9;
    const unavailable = corpus('anomaly-503-no-retry-after').messages;
    const offset = start + 1 - (unavailable[0]!.ts.sec + unavailable[0]!.ts.nsec / 1e9);
    const at = (m: SipMessage) => m.ts.sec + m.ts.nsec / 1e9;
    const all = [...timeout, ...unavailable.map((m) => ({ ...moved(m, offset), callId: `b.${m.callId}` }))]
      .sort((x, y) => at(x) - at(y))
      .map((m, id) => ({ ...m, id }));
    const end = shift(all[all.length - 1]!.ts, 40);
    const anomalies: Anomaly[] = [];
    let ended: AnalysisEnd | null = null;
    const analyzer = new StreamingAnalyzer({ call: () => undefined, anomaly: (a) => anomalies.push(a), end: (e) => (ended = e) }, {}, callEndsOf(all, end));
    for (const m of all) analyzer.add(m);
    analyzer.finish(end);
    expect(anomalies.map((a) => a.kind)).toEqual(['service-unavailable-not-retried', 'invite-no-final-response']);
    expect([...ended!.anomalyIds]).toEqual([1, 0]);
    expect(renumbered(anomalies, ended!)).toEqual(analyzeMessages(all, end).anomalies);
  });

  it('keeps every call to the end without call ends', () => {
    const all = replayedMix(2);
    const analyzer = new StreamingAnalyzer({ call: () => undefined, anomaly: () => undefined, end: () => undefined });
    for (const m of all) analyzer.add(m);
    expect(analyzer.liveCalls).toBe(1000);
  });

  it('refuses call ends found in another capture', () => {
    const c = corpus('call-basic-udp');
    const analyzer = new Analyzer({}, callEndsOf(corpus('call-486-busy').messages, c.end));
    expect(() => {
      for (const m of c.messages) analyzer.add(m);
      analyzer.finish(c.end);
    }).toThrow(/capture changed/);
  });
});

/** register-digest (REGISTER, 401, REGISTER with credentials, 200, refresh, 200) and `rounds - 1` refreshes of it a minute apart, same Call-ID. */
function registeredFor(rounds: number): Capture {
  const c = corpus('register-digest');
  const messages: SipMessage[] = [];
  for (let k = 0; k < rounds; k++) {
    for (const m of c.messages) {
      const seq = m.cseqSeq! + 3 * k;
      messages.push({ ...moved(m, 60 * k), id: k * c.messages.length + m.id, cseqSeq: seq, cseq: `${seq} REGISTER`, branch: `${m.branch}.r${k}` });
    }
  }
  return { messages, end: messages[messages.length - 1]!.ts };
}

describe('a call with many transactions, dialogs and tags (looked up through its own maps)', () => {
  it('matches late copies to the first of fifteen transactions of one Call-ID', () => {
    const c = registeredFor(5);
    const late = added(c, 0, 300, {});
    const lateAnswer = added(late.capture, 1, 300.001, {});
    const a = analyze(lateAnswer.capture);
    expect(a.calls).toHaveLength(1);
    expect(a.transactions).toHaveLength(15);
    expect(a.transactions[0]).toMatchObject({ requests: [0, late.id], responses: [1, lateAnswer.id], retransmissions: 2 });
    expect(a.transactions.slice(1).every((t) => t.requests.length === 1 && t.responses.length === 1)).toBe(true);
    expect(a.messageLinks[late.id]).toEqual({ transaction: 0, dialog: null, retransmissionOf: 0 });
    expect(a.messageLinks[lateAnswer.id]).toEqual({ transaction: 0, dialog: null, retransmissionOf: 1 });
    expect(a.registrations[0]!.attempts).toHaveLength(15);
    // each round as the single registration has it, once the capture has run on
    const single = analyze(runOn(corpus('register-digest'), 600));
    const shape = (t: (typeof a.transactions)[number]) => [t.method, t.finalStatus, t.state, t.requests.length > 0, t.responses.length];
    expect(a.transactions.slice(3).map(shape)).toEqual([0, 1, 2, 3].flatMap(() => single.transactions.map(shape)));
  });

  it('keeps a dozen forks of an INVITE apart, and the BYE in the one that was answered', () => {
    let c = corpus('call-basic-udp');
    const forks: number[] = [];
    for (let k = 0; k < 11; k++) {
      const fork = added(c, 2, 0.01 + k * 0.001, { toTag: `fork-${k}` });
      c = fork.capture;
      forks.push(fork.id);
    }
    const a = analyze(runOn(c, 40));
    expect(a.dialogs).toHaveLength(12);
    expect(a.dialogs[0]).toMatchObject({ toTag: '30381SIPpTag011', state: 'confirmed', endState: 'terminated', confirmedBy: 3, terminatedBy: 5 });
    // §13.2.2.4: the forks never answered end 64*T1 after the 2xx
    expect(a.dialogs.slice(1).map((d) => [d.toTag, d.state, d.endState])).toEqual(forks.map((_, k) => [`fork-${k}`, 'early', 'terminated']));
    expect(forks.map((id) => a.messageLinks[id]!.dialog)).toEqual(forks.map((_, k) => k + 1));
    expect([4, 5, 6].map((id) => a.messageLinks[id]!.dialog)).toEqual([0, 0, 0]);
    expect(a.calls[0]).toMatchObject({ outcome: 'completed', endedBy: 'caller' });
  });
});
