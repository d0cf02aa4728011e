// Every anomaly kind with a positive and a negative case, from real corpus messages changed
// as little as the case needs (each change is named in the test).
import { describe, expect, it } from 'vitest';
import { ANOMALY_KINDS } from '../../src/analysis/index.js';
import type { SipMessage } from '../../src/model.js';
import { added, analyze, corpus, cutAfter, edit, kinds, moved, runOn, without, type Capture } from './helpers.js';

/** The capture with message `id` moved in time. */
function shifted(c: Capture, id: number, seconds: number): Capture {
  return { messages: c.messages.map((m) => (m.id === id ? moved(m, seconds) : m)), end: c.end };
}

const kindsOf = (c: Capture, options = {}) => analyze(c, options).anomalies.map((a) => a.kind);

describe('the catalogue', () => {
  it('has the seven catalogued kinds with the README\'s severities', () => {
    const severities = Object.fromEntries(
      ['invite-2xx-not-acked', 'invite-no-final-response', 'non-invite-no-final-response', 'service-unavailable-not-retried', 'registration-failed', 'auth-loop', 'reliable-provisional-retransmitted'].map(
        (k) => [k, ANOMALY_KINDS.get(k)?.severity],
      ),
    );
    expect(severities).toEqual({
      'invite-2xx-not-acked': 'error',
      'invite-no-final-response': 'error',
      'non-invite-no-final-response': 'error',
      'service-unavailable-not-retried': 'warning',
      'registration-failed': 'error',
      'auth-loop': 'error',
      'reliable-provisional-retransmitted': 'warning',
    });
  });

  it('gives every anomaly a title, a reference and an explanation with this capture\'s times', () => {
    const a = analyze(corpus('anomaly-2xx-never-acked'));
    for (const x of a.anomalies) {
      expect(x.title.length).toBeGreaterThan(0);
      expect(x.reference).toMatch(/^RFC \d+ §/);
      expect(x.explanation).toMatch(/\d\d:\d\d:\d\d\.\d{3}/);
    }
    expect(a.calls[0]!.anomalies).toEqual(a.anomalies.map((x) => x.id));
  });
});

describe('invite-2xx-not-acked', () => {
  it('is raised when the 200 OK is retransmitted for 64*T1 without ACK (anomaly-2xx-never-acked)', () => {
    const found = kinds(analyze(corpus('anomaly-2xx-never-acked')), 'invite-2xx-not-acked');
    expect(found).toEqual([{ callId: 'd1a5cb17129593dc@uac.sipladder.test', messages: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14] }]);
  });

  it('is not raised once an ACK for the 2xx is seen (an ACK added after the first 200)', () => {
    const ack: Partial<SipMessage> = { isRequest: true, method: 'ACK', status: null, reason: null, cseq: '101 ACK', cseqMethod: 'ACK', branch: 'z9hG4bK-late-ack', sentBy: '127.0.0.1:15101', src: '127.0.0.1:15101', dst: '127.0.0.1:15100' };
    expect(kindsOf(added(corpus('anomaly-2xx-never-acked'), 3, 0.001, ack).capture)).not.toContain('invite-2xx-not-acked');
  });

  it('is not raised for a single 2xx without ACK: the capture may just miss the ACK\'s path (call-basic-udp without its ACK)', () => {
    expect(kindsOf(runOn(without(corpus('call-basic-udp'), 4), 60))).not.toContain('invite-2xx-not-acked');
  });
});

describe('invite-no-final-response / non-invite-no-final-response', () => {
  it('is raised for the INVITE retransmitted until Timer B (anomaly-invite-no-response)', () => {
    expect(kinds(analyze(corpus('anomaly-invite-no-response')), 'invite-no-final-response')).toEqual([{ callId: '1-2334@127.0.0.1', messages: [0, 1, 2, 3, 4, 5, 6] }]);
  });

  it('is raised for a single INVITE when the capture runs on 32 s (as over TCP, no retransmissions)', () => {
    expect(kindsOf(runOn(cutAfter(corpus('anomaly-invite-no-response'), 0), 32))).toContain('invite-no-final-response');
  });

  it('is not raised 3.5 s into the retransmissions (only the retransmissions are noted)', () => {
    expect(kindsOf(cutAfter(corpus('anomaly-invite-no-response'), 3))).toEqual(['retransmissions']);
  });

  it('non-INVITE: an OPTIONS without answer for 32 s is raised, one just sent is not (options-keepalive)', () => {
    const ping = cutAfter(corpus('options-keepalive'), 0);
    expect(kinds(analyze(runOn(ping, 32)), 'non-invite-no-final-response')).toEqual([{ callId: ping.messages[0]!.callId, messages: [0] }]);
    expect(kindsOf(ping)).toEqual([]);
  });

  it('a REGISTER without any answer is a timeout, not registration-failed (register-digest cut after the last REGISTER)', () => {
    const found = kindsOf(runOn(cutAfter(corpus('register-digest'), 4), 32));
    expect(found).toContain('non-invite-no-final-response');
    expect(found).not.toContain('registration-failed');
  });
});

describe('service-unavailable-not-retried / service-unavailable-retried / retry-before-retry-after', () => {
  it('is raised on a 503 without Retry-After that is never retried (anomaly-503-no-retry-after)', () => {
    expect(kinds(analyze(corpus('anomaly-503-no-retry-after')), 'service-unavailable-not-retried')).toEqual([{ callId: '1-4301@127.0.0.1', messages: [0, 2] }]);
  });

  it('is not raised when the 503 carried Retry-After and the retry honoured it (call-503-retry-after)', () => {
    expect(kindsOf(corpus('call-503-retry-after'))).toEqual([]);
  });

  it('a 503 without Retry-After that is retried is only noted, with the delay (call-503-retry-after without its Retry-After)', () => {
    const a = analyze(edit(corpus('call-503-retry-after'), 2, { retryAfter: null }));
    expect(a.anomalies.map((x) => [x.kind, x.severity, x.messages])).toEqual([['service-unavailable-retried', 'info', [2, 4]]]);
    expect(a.anomalies[0]!.explanation).toMatch(/retried 5\.00 s later/);
    expect(kindsOf(corpus('anomaly-503-no-retry-after'))).not.toContain('service-unavailable-retried');
  });

  it('retry-before-retry-after: raised when the retry comes 5 s after a Retry-After of 10, not when it is 5', () => {
    const early = analyze(edit(corpus('call-503-retry-after'), 2, { retryAfter: 10 }));
    expect(early.anomalies.map((x) => [x.kind, x.messages])).toEqual([['retry-before-retry-after', [2, 4]]]);
    expect(kindsOf(corpus('call-503-retry-after'))).not.toContain('retry-before-retry-after');
  });
});

describe('registration-failed', () => {
  it('is raised on the 403 that ends the registration (register-403-forbidden)', () => {
    expect(kinds(analyze(corpus('register-403-forbidden')), 'registration-failed')).toEqual([{ callId: '1-322@127.0.0.1', messages: [2, 3] }]);
  });

  it('is not raised when the last REGISTER succeeds (register-digest)', () => {
    expect(kindsOf(corpus('register-digest'))).toEqual([]);
  });
});

describe('auth-loop', () => {
  /** register-403-forbidden with the 403 turned into a 401, and optionally one more credentials attempt challenged again. */
  function rechallenged(extraAttempt: boolean): Capture {
    let c = edit(corpus('register-403-forbidden'), 3, { status: 401, reason: 'Unauthorized' });
    if (!extraAttempt) return c;
    const retry = added(c, 2, 0.01, { cseq: '3 REGISTER', cseqSeq: 3, branch: 'z9hG4bK-322-1-4' });
    c = added(retry.capture, 3, 0.01, { cseq: '3 REGISTER', cseqSeq: 3, branch: 'z9hG4bK-322-1-4' }).capture;
    return c;
  }

  it('is raised when two requests with credentials are challenged again', () => {
    const a = analyze(rechallenged(true));
    expect(kinds(a, 'auth-loop')).toEqual([{ callId: '1-322@127.0.0.1', messages: [2, 3, 4, 5] }]);
  });

  it('is not raised for a single re-challenge (that is a failed registration)', () => {
    const found = kindsOf(rechallenged(false));
    expect(found).not.toContain('auth-loop');
    expect(found).toContain('registration-failed');
  });
});

describe('reliable-provisional-retransmitted', () => {
  it('is raised when the reliable 183 (RSeq 1) is sent again (call-prack-update-info with a copy 0.5 s later)', () => {
    const copy = added(corpus('call-prack-update-info'), 2, 0.5);
    expect(kinds(analyze(copy.capture), 'reliable-provisional-retransmitted')).toEqual([{ callId: '1-5691@127.0.0.1', messages: [2, copy.id] }]);
  });

  it('is not raised for a new reliable provisional (another RSeq) nor on the clean capture', () => {
    expect(kindsOf(added(corpus('call-prack-update-info'), 2, 0.5, { rseq: 3 }).capture)).toEqual([]);
    expect(kindsOf(corpus('call-prack-update-info'))).toEqual([]);
  });
});

describe('non-2xx-not-acked', () => {
  it('is raised when the 486 is retransmitted without ACK (call-486-busy without its ACK, plus a 486 copy)', () => {
    const c = added(without(corpus('call-486-busy'), 4), 3, 0.5);
    expect(kinds(analyze(c.capture), 'non-2xx-not-acked')).toEqual([{ callId: '1-1428@127.0.0.1', messages: [3, c.id] }]);
  });

  it('is raised after 64*T1 without ACK, not at once', () => {
    const noAck = without(corpus('call-486-busy'), 4);
    expect(kindsOf(noAck)).toEqual([]);
    expect(kindsOf(runOn(noAck, 32))).toContain('non-2xx-not-acked');
    expect(kindsOf(runOn(corpus('call-486-busy'), 32))).toEqual([]);
  });
});

describe('retransmissions / retransmission-storm', () => {
  it('notes a retransmitted INVITE that was then answered (call-basic-udp with an INVITE copy)', () => {
    const c = added(corpus('call-basic-udp'), 0, 0.0001);
    const a = analyze(c.capture);
    expect(a.anomalies.map((x) => [x.kind, x.severity, x.messages])).toEqual([['retransmissions', 'info', [c.id]]]);
    expect(kindsOf(corpus('call-basic-udp'))).toEqual([]);
  });

  it('leaves retransmissions another anomaly explains to it (anomaly-invite-no-response)', () => {
    expect(kindsOf(corpus('anomaly-invite-no-response'))).toEqual(['invite-no-final-response']);
  });

  it('warns of a storm from the threshold on (6 here), not below it (default 11)', () => {
    expect(kindsOf(corpus('anomaly-invite-no-response'), { retransmissionStormThreshold: 6 })).toContain('retransmission-storm');
    expect(kindsOf(corpus('anomaly-invite-no-response'))).not.toContain('retransmission-storm');
  });
});

describe('slow-trying', () => {
  it('notes an INVITE first answered after 200 ms (call-basic-udp without its 100, the 180 0.3 s later)', () => {
    const a = analyze(shifted(without(corpus('call-basic-udp'), 1), 2, 0.3));
    expect(a.anomalies.map((x) => [x.kind, x.severity, x.messages])).toEqual([['slow-trying', 'info', [0, 2]]]);
  });

  it('is not raised when the 100 Trying comes at once, nor when the late answer comes from another hop', () => {
    expect(kindsOf(corpus('call-basic-udp'))).toEqual([]);
    const elsewhere = edit(shifted(without(corpus('call-basic-udp'), 1), 2, 0.3), 2, { src: '127.0.0.1:15999' });
    expect(kindsOf(elsewhere)).not.toContain('slow-trying');
  });
});

describe('long-post-dial-delay', () => {
  it('is raised above the threshold and says how many attempts the call needed (call-503-retry-after: 5.3 s, threshold 5 s)', () => {
    const a = analyze(corpus('call-503-retry-after'), { longPostDialDelaySec: 5 });
    expect(kinds(a, 'long-post-dial-delay')).toEqual([{ callId: '1-4449@127.0.0.1', messages: [0, 6] }]);
    expect(a.anomalies[0]!.explanation).toMatch(/needed 2 INVITE attempts/);
  });

  it('is not raised below the default 8 s', () => {
    expect(kindsOf(corpus('call-503-retry-after'))).toEqual([]);
  });
});

describe('call-leg-unknown, glare, loop-detected', () => {
  it('481 to the BYE is call-leg-unknown (call-basic-udp)', () => {
    expect(kinds(analyze(edit(corpus('call-basic-udp'), 6, { status: 481 })), 'call-leg-unknown')).toEqual([{ callId: '1-30384@127.0.0.1', messages: [5, 6] }]);
  });

  it('491 to the re-INVITE is glare (call-reinvite-hold)', () => {
    expect(kinds(analyze(edit(corpus('call-reinvite-hold'), 6, { status: 491, reason: 'Request Pending' })), 'glare')).toEqual([{ callId: '1-5252@127.0.0.1', messages: [5, 6] }]);
  });

  it('482 and 483 are loop-detected (call-basic-udp\'s 200 replaced)', () => {
    for (const status of [482, 483]) {
      expect(kinds(analyze(edit(cutAfter(corpus('call-basic-udp'), 3), 3, { status })), 'loop-detected')).toEqual([{ callId: '1-30384@127.0.0.1', messages: [0, 3] }]);
    }
  });

  it('none of them on the clean captures', () => {
    for (const name of ['call-basic-udp', 'call-reinvite-hold']) expect(kindsOf(corpus(name))).toEqual([]);
  });
});

describe('cancel-after-answer', () => {
  it('is noted when the INVITE was answered 200 although cancelled (call-cancel-487 with the 487 turned into a 200)', () => {
    const a = analyze(edit(corpus('call-cancel-487'), 5, { status: 200, reason: 'OK' }));
    expect(a.anomalies.map((x) => [x.kind, x.severity, x.messages])).toEqual([['cancel-after-answer', 'info', [3, 5]]]);
    expect(a.anomalies[0]!.explanation).toMatch(/No BYE followed/);
  });

  it('is not raised when the CANCEL got its 487 (call-cancel-487)', () => {
    expect(kindsOf(corpus('call-cancel-487'))).toEqual([]);
  });
});

describe('session-refresh-missed', () => {
  it('is raised when the capture runs past Session-Expires with no refresh and no BYE', () => {
    const c = edit(cutAfter(corpus('call-basic-udp'), 4), 3, { sessionExpires: 2 });
    expect(kinds(analyze(runOn(c, 5)), 'session-refresh-missed')).toEqual([{ callId: '1-30384@127.0.0.1', messages: [3] }]);
    expect(kindsOf(runOn(c, 1))).toEqual([]);
  });

  it('is not raised when the BYE comes before the expiry (call-basic-udp, Session-Expires 90)', () => {
    expect(kindsOf(runOn(edit(corpus('call-basic-udp'), 3, { sessionExpires: 90 }), 200))).toEqual([]);
  });

  it('is raised for a refresh that comes after the expiry, not for timely refreshes (call-reinvite-hold)', () => {
    let late = edit(corpus('call-reinvite-hold'), 3, { sessionExpires: 1 });
    late = edit(edit(late, 6, { sessionExpires: 90 }), 9, { sessionExpires: 90 });
    expect(kinds(analyze(late), 'session-refresh-missed')).toEqual([{ callId: '1-5252@127.0.0.1', messages: [3, 6] }]);
    let timely = corpus('call-reinvite-hold');
    for (const id of [3, 6, 9]) timely = edit(timely, id, { sessionExpires: 4 });
    expect(kindsOf(timely)).toEqual([]);
  });
});

describe('udp-message-too-large', () => {
  it('is raised for a UDP message above 1300 bytes', () => {
    const a = analyze(edit(corpus('call-basic-udp'), 0, { size: 1500 }));
    expect(a.anomalies.map((x) => [x.kind, x.messages])).toEqual([['udp-message-too-large', [0]]]);
    expect(a.anomalies[0]!.explanation).toMatch(/largest 1500 bytes/);
  });

  it('is not raised at 1300 bytes, nor for a large message over TCP', () => {
    expect(kindsOf(edit(corpus('call-basic-udp'), 0, { size: 1300 }))).toEqual([]);
    expect(kindsOf(edit(corpus('call-basic-tcp'), 0, { size: 6000 }))).toEqual([]);
  });
});

describe('malformed-message', () => {
  it('is raised for a message the scanner marked malformed, with its reason', () => {
    const a = analyze(edit(corpus('call-basic-udp'), 5, { malformed: 'no CSeq header' }));
    expect(a.anomalies.map((x) => [x.kind, x.callId, x.messages])).toEqual([['malformed-message', '1-30384@127.0.0.1', [5]]]);
    expect(a.anomalies[0]!.explanation).toContain('no CSeq header');
  });

  it('is raised without a call when the message has no Call-ID', () => {
    const a = analyze(edit(corpus('call-basic-udp'), 5, { malformed: 'no Call-ID header', callId: null }));
    expect(a.anomalies.map((x) => [x.kind, x.callId])).toEqual([['malformed-message', null]]);
  });
});
