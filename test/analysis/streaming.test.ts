// The Analyzer as a stream: it copies what it needs from each message (the caller may reuse or
// drop the objects), its result does not depend on batching, and it stays linear on a large
// capture (callmix-udp-500 replayed 20 times under new Call-IDs: 64,800 messages).
import { describe, expect, it } from 'vitest';
import { Analyzer, analyzeMessages } from '../../src/analysis/index.js';
import type { SipMessage } from '../../src/model.js';
import { corpus, moved } from './helpers.js';

describe('Analyzer', () => {
  it('keeps nothing of the message objects: scribbling over them after add() changes nothing', () => {
    const { messages, end } = corpus('call-503-retry-after');
    const expected = analyzeMessages(structuredClone(messages), end);
    const analyzer = new Analyzer();
    for (const m of messages) {
      analyzer.add(m);
      Object.assign(m, { callId: 'x', fromTag: 'x', toTag: 'x', branch: 'x', src: 'x', dst: 'x', status: 999, method: 'X', ts: { sec: 0, nsec: 0, digits: 9 }, time: '0' });
    }
    expect(analyzer.finish(end)).toEqual(expected);
  });

  it('refuses messages after finish()', () => {
    const { messages, end } = corpus('call-basic-udp');
    const analyzer = new Analyzer();
    analyzer.finish(end);
    expect(() => analyzer.add(messages[0]!)).toThrow(/after finish/);
  });

  it('judges timers against the last message when no capture end is given', () => {
    const { messages } = corpus('anomaly-invite-no-response');
    expect(analyzeMessages(messages, null).calls[0]!.outcome).toBe('no-final-response');
  });

  it('handles 64,800 messages (callmix-udp-500 x 20) with counts that scale exactly, in linear time', () => {
    const { messages } = corpus('callmix-udp-500');
    const copies = 20;
    const all: SipMessage[] = [];
    for (let k = 0; k < copies; k++) {
      for (const m of messages) {
        const copy = moved(m, k * 100);
        all.push({ ...copy, id: k * messages.length + m.id, callId: `${k}.${m.callId}`, branch: m.branch && `${m.branch}.${k}` });
      }
    }
    const started = performance.now();
    const a = analyzeMessages(all, all[all.length - 1]!.ts);
    const elapsed = performance.now() - started;
    expect(a.calls).toHaveLength(500 * copies);
    expect(a.transactions).toHaveLength(890 * copies);
    expect(a.dialogs).toHaveLength(460 * copies);
    expect(a.anomalies.filter((x) => x.kind === 'service-unavailable-not-retried')).toHaveLength(16 * copies);
    expect(a.stats.outcomes.completed).toBe(350 * copies);
    // about a second on an idle machine; a pass quadratic in messages or calls would take minutes
    expect(elapsed).toBeLessThan(15_000);
  });
});
