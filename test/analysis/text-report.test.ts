// The CLI's text report (src/views/text-report.ts) on analyses of corpus captures: what each
// section says, that every line fits a 100-column terminal, and that its ReportCollector keeps
// what the whole analysis says of the calls it lists, however the calls settle.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StreamingAnalyzer } from '../../src/analysis/index.js';
import { listedMessages, MessageDigests } from '../../src/views/message-digests.js';
import { renderTextReport, ReportCollector, type ReportedAnalysis, type TextReportInput } from '../../src/views/text-report.js';
import { CORPUS_DIR } from './corpus-messages.js';
import { analyze, callEndsOf, corpus, type Capture } from './helpers.js';

/** The capture analysed into a ReportCollector; with `settleEarly`, each call is settled at its last message (a first pass told where). */
function reported(c: Capture, rowLimit?: number, settleEarly = false): ReportedAnalysis {
  const callEnds = settleEarly ? callEndsOf(c.messages, c.end) : null;
  const collector = new ReportCollector(rowLimit);
  const analyzer = new StreamingAnalyzer(collector, {}, callEnds);
  for (const m of c.messages) analyzer.addMessage(m);
  analyzer.finish(c.end);
  return collector.report();
}

function digestsOf(c: Capture): MessageDigests {
  const digests = new MessageDigests();
  for (const m of c.messages) digests.add(m);
  return digests;
}

function report(name: string, c: Capture = corpus(name), messages: 'list' | 'digests' | 'count' = 'list'): string {
  const input: TextReportInput = {
    file: { name: `${name}.pcapng`, format: 'pcapng', linkTypes: [1], packets: c.messages.length, bytes: 4096 },
    warnings: [],
    messages: messages === 'list' ? listedMessages(c.messages) : messages === 'digests' ? digestsOf(c) : c.messages.length,
    analysis: reported(c),
  };
  return renderTextReport(input);
}

const widest = (text: string) => Math.max(...text.split('\n').map((l) => l.length));

describe('text report', () => {
  it('summarises a clean call and lists it in the calls table (call-basic-udp)', () => {
    const text = report('call-basic-udp');
    expect(text).toContain('File           call-basic-udp.pcapng: pcapng, Ethernet (1), 7 packets, 4.0 KiB');
    expect(text).toContain('Capture        2026-11-24 15:01:24.343 to 15:01:28.551 UTC (4.208 s)');
    expect(text).toContain('Messages       7 SIP messages, 0 retransmissions, 2 transactions, 1 dialog');
    expect(text).toContain('Calls          1 call (1 completed), ASR 100.0%');
    expect(text).toContain('Anomalies      0 errors, 0 warnings, 0 notes');
    expect(text).toMatch(/^Start {9}Caller -> Callee +Outcome +PDD +Duration +Msgs +Anom\.$/m);
    expect(text).toMatch(/^15:01:24\.343 {2}alice -> bob +completed 200 +0\.200 s +3\.001 s +7$/m);
    expect(text).toContain('ANOMALIES\nNone found.');
    expect(text).not.toContain('REGISTRATIONS');
  });

  it('writes each anomaly with its explanation, reference and message times (anomaly-2xx-never-acked)', () => {
    const text = report('anomaly-2xx-never-acked');
    expect(text).toContain('Anomalies      1 error, 0 warnings, 0 notes');
    expect(text).toContain('completed 200, callee hung up');
    expect(text).toContain('[error] invite-2xx-not-acked: 2xx to INVITE never acknowledged');
    expect(text).toContain('  Call-ID    d1a5cb17129593dc@uac.sipladder.test');
    expect(text).toContain('  Reference  RFC 3261 §13.3.1.4');
    expect(text).toContain('  Messages   #3 15:02:32.227 200 OK 127.0.0.1:15100 -> 127.0.0.1:15101');
    expect(text).toContain('... 6 more messages');
    expect(text).toMatch(/never\s+acknowledged:\s+the\s+UAS\s+retransmitted\s+it\s+10\s+times/);
  });

  it('shows message ids alone when only the number of messages is given', () => {
    const text = report('anomaly-503-no-retry-after', corpus('anomaly-503-no-retry-after'), 'count');
    expect(text).toContain('  Messages   #0\n             #2');
    expect(text).toContain('Messages       4 SIP messages');
  });

  it('lists registrations with their outcome and explains a failure (register-403-forbidden)', () => {
    const text = report('register-403-forbidden');
    expect(text).toMatch(/^REGISTRATIONS\nStart {9}Address of record +Outcome +Attempts +Challenges$/m);
    expect(text).toMatch(/^15:02:10\.907 {2}sip:alice@sipladder\.test +failed 403 +2 +1$/m);
    expect(text).toContain('403 Forbidden: the registrar understood the REGISTER and refused it');
    expect(text).toContain('Registrations  1 (0 registered at the end)');
  });

  it('shows other kinds by their method (message-im) and counts a call mix (callmix-udp-500)', () => {
    expect(report('message-im')).toMatch(/alice -> dave +MESSAGE failed 404/);
    const mix = report('callmix-udp-500');
    expect(mix).toContain('Calls          500 calls (350 completed, 49 busy, 45 rejected, 40 cancelled, 16 failed), ASR 70.0%');
    expect(mix).toMatch(/warning +service-unavailable-not-retried +16 /);
  });

  it('fits every line into 100 columns', () => {
    for (const name of ['call-basic-udp', 'anomaly-2xx-never-acked', 'anomaly-invite-no-response', 'register-403-forbidden', 'callmix-udp-500', 'subscribe-notify', 'call-basic-ipv6']) {
      expect(widest(report(name)), name).toBeLessThanOrEqual(100);
    }
  });

  it('names messages the same from digests as from the messages themselves (the CLI keeps digests)', () => {
    const names = readdirSync(CORPUS_DIR, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(join(CORPUS_DIR, e.name, 'messages.json'))).map((e) => e.name);
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) expect(report(name, corpus(name), 'digests'), name).toBe(report(name));
  });

  it('keeps the counts, the first calls and registrations in call order, and every anomaly, as the whole analysis has them', () => {
    for (const [name, rowLimit] of [['callmix-udp-500', 7], ['callmix-udp-500', 0], ['register-digest', 1], ['subscribe-notify', 500], ['anomaly-2xx-never-acked', 500]] as const) {
      const c = corpus(name);
      const whole = analyze(c);
      const listed = whole.calls.filter((call) => call.kind !== 'registration');
      // Settled at the end (as the CLI does), and at each call's last message: calls then settle out of call order.
      for (const settleEarly of [false, true]) {
        const r = reported(c, rowLimit, settleEarly);
        const context = `${name}, settled ${settleEarly ? 'early' : 'at the end'}`;
        expect(r.transactions, context).toBe(whole.transactions.length);
        expect(r.dialogs, context).toBe(whole.dialogs.length);
        expect(r.calls, context).toBe(whole.calls.filter((call) => call.kind === 'call').length);
        expect(r.otherCalls, context).toBe(whole.calls.filter((call) => call.kind !== 'call' && call.kind !== 'registration').length);
        expect(r.listedCalls, context).toEqual(listed.slice(0, rowLimit).map((call) => ({ ...call, legs: [] })));
        expect(r.registrations, context).toBe(whole.registrations.length);
        expect(r.registered, context).toBe(whole.registrations.filter((g) => g.outcome === 'registered').length);
        expect(r.listedRegistrations, context).toEqual(whole.registrations.slice(0, rowLimit).map((registration) => ({
          registration,
          start: whole.calls.find((call) => call.callId === registration.callId)!.startTime,
        })));
        expect(r.anomalies, context).toEqual(whole.anomalies);
        expect(r.stats, context).toEqual(whole.stats);
      }
    }
  });
});
