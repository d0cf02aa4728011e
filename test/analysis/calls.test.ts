// Calls (kind, outcome per the corpus README, timings, media) and registrations (attempts,
// outcome, explanations), from real corpus messages changed minimally.
import { describe, expect, it } from 'vitest';
import type { SipMessage } from '../../src/model.js';
import { added, analyze, corpus, corpusWithSdp, cutAfter, edit, runOn, without } from './helpers.js';

const outcome = (c: ReturnType<typeof corpus>) => {
  const call = analyze(c).calls[0]!;
  return [call.kind, call.outcome, call.finalStatus];
};

describe('call outcome', () => {
  it('completed, ended by the caller or by the callee', () => {
    expect(analyze(corpus('call-basic-udp')).calls[0]).toMatchObject({ outcome: 'completed', finalStatus: 200, finalReason: 'OK', endedBy: 'caller' });
    expect(analyze(corpus('anomaly-2xx-never-acked')).calls[0]).toMatchObject({ outcome: 'completed', endedBy: 'callee' });
  });

  it('answered when no BYE is in the capture', () => {
    expect(outcome(cutAfter(corpus('call-basic-udp'), 4))).toEqual(['call', 'answered', 200]);
  });

  it('cancelled on CANCEL and 487; a 487 without CANCEL is a rejection', () => {
    expect(outcome(corpus('call-cancel-487'))).toEqual(['call', 'cancelled', 487]);
    expect(outcome(without(corpus('call-cancel-487'), 3, 4))).toEqual(['call', 'rejected', 487]);
  });

  it('busy on 486 and 600, rejected on other 4xx and 6xx, redirected on 3xx, failed on 5xx', () => {
    const busy = corpus('call-486-busy');
    expect(outcome(busy)).toEqual(['call', 'busy', 486]);
    expect(outcome(edit(busy, 3, { status: 600, reason: 'Busy Everywhere' }))).toEqual(['call', 'busy', 600]);
    expect(outcome(edit(busy, 3, { status: 404, reason: 'Not Found' }))).toEqual(['call', 'rejected', 404]);
    expect(outcome(edit(busy, 3, { status: 603, reason: 'Decline' }))).toEqual(['call', 'rejected', 603]);
    expect(outcome(edit(busy, 3, { status: 302, reason: 'Moved Temporarily' }))).toEqual(['call', 'redirected', 302]);
    expect(outcome(corpus('anomaly-503-no-retry-after'))).toEqual(['call', 'failed', 503]);
  });

  it('no-final-response once timed out, pending before', () => {
    const c = corpus('anomaly-invite-no-response');
    expect(outcome(c)).toEqual(['call', 'no-final-response', null]);
    expect(outcome(cutAfter(c, 2))).toEqual(['call', 'pending', null]);
  });

  it('is decided by the last INVITE sent outside a dialog: the retry after 503 (call-503-retry-after)', () => {
    const c = corpus('call-503-retry-after');
    expect(outcome(c)).toEqual(['call', 'completed', 200]);
    expect(outcome(cutAfter(edit(c, 7, { status: 486, reason: 'Busy Here' }), 8))).toEqual(['call', 'busy', 486]);
    expect(outcome(cutAfter(c, 3))).toEqual(['call', 'failed', 503]);
  });

  it('is mid-dialog without an outcome when the capture starts inside the dialog (call-basic-udp from its BYE)', () => {
    const a = analyze(without(corpus('call-basic-udp'), 0, 1, 2, 3, 4));
    expect(a.calls[0]).toMatchObject({ kind: 'mid-dialog', firstRequest: 'BYE', outcome: null, finalStatus: null });
  });

  it('gives other kinds success / failed / no-final-response / pending', () => {
    const im = analyze(corpus('message-im'));
    expect(im.calls.map((c) => [c.kind, c.outcome, c.finalStatus])).toEqual([
      ['message', 'success', 200],
      ['message', 'success', 202],
      ['message', 'failed', 404],
      ['message', 'success', 200],
    ]);
    expect(outcome(corpus('subscribe-notify'))).toEqual(['subscription', 'success', 200]);
    expect(outcome(corpus('register-403-forbidden'))).toEqual(['registration', 'failed', 403]);
    const ping = cutAfter(corpus('options-keepalive'), 0);
    expect(outcome(ping)).toEqual(['options', 'pending', null]);
    expect(outcome(runOn(ping, 32))).toEqual(['options', 'no-final-response', null]);
  });
});

describe('call details', () => {
  it('measures post-dial delay, setup time and duration (call-basic-udp)', () => {
    const c = corpus('call-basic-udp');
    const t = (id: number) => Number(c.messages[id]!.time);
    const call = analyze(c).calls[0]!;
    expect(call.postDialDelay).toBeCloseTo(t(2) - t(0), 6);
    expect(call.setupTime).toBeCloseTo(t(3) - t(0), 6);
    expect(call.duration).toBeCloseTo(t(5) - t(3), 6);
    expect(call).toMatchObject({
      startTime: c.messages[0]!.time,
      answerTime: c.messages[3]!.time,
      endTime: c.messages[5]!.time,
      lastTime: c.messages[6]!.time,
      caller: { uri: 'sip:alice@sipladder.test', user: 'alice', display: null },
      callee: { uri: 'sip:bob@sipladder.test', user: 'bob', display: null },
      endpoints: ['127.0.0.1:15061', '127.0.0.1:15060'],
      messages: [0, 1, 2, 3, 4, 5, 6],
      transactions: [0, 1],
      dialogs: [0],
    });
  });

  it('takes the caller and callee users from SIP and tel URIs, parameters and scheme case aside', () => {
    const users = (fromUri: string, toUri: string) => {
      const call = analyze(edit(corpus('call-basic-udp'), 0, { fromUri, toUri })).calls[0]!;
      return [call.caller.user, call.callee.user];
    };
    expect(users('sip:alice;tag-param=1@example.com', 'TEL:+4930123;phone-context=example.com')).toEqual(['alice', '+4930123']);
    expect(users('sips:@example.com', 'Tel:;x')).toEqual([null, null]);
    expect(users('sip:example.com;transport=udp', 'urn:service:sos')).toEqual([null, null]);
  });

  it('measures post-dial delay from the first INVITE when a retry was needed (call-503-retry-after)', () => {
    const c = corpus('call-503-retry-after');
    expect(analyze(c).calls[0]!.postDialDelay).toBeCloseTo(Number(c.messages[6]!.time) - Number(c.messages[0]!.time), 6);
  });

  it('summarises the media and notices a re-INVITE putting the call on hold (call-reinvite-hold, SDP from tshark)', () => {
    const held = analyze(corpusWithSdp('call-reinvite-hold')).calls[0]!;
    expect(held.onHold).toBe(true);
    expect(held.media.map((m) => [m.address, m.port, m.codecs[0], m.direction])).toEqual([
      ['127.0.0.1', 6004, 'PCMU/8000', 'sendrecv'],
      ['127.0.0.1', 6000, 'PCMU/8000', 'sendrecv'],
    ]);
    const plain = analyze(corpusWithSdp('call-basic-udp')).calls[0]!;
    expect(plain.onHold).toBe(false);
    expect(plain.media).toHaveLength(2);
  });

  it('does not take the initial INVITE\'s offer for a hold even when it is sendonly', () => {
    const c = corpusWithSdp('call-basic-udp');
    const offer = c.messages[0]!.sdp!;
    const sendonly = edit(c, 0, { sdp: { ...offer, media: offer.media.map((m) => ({ ...m, direction: 'sendonly' as const })) } });
    expect(analyze(sendonly).calls[0]!.onHold).toBe(false);
  });

  it('counts outcomes and the ASR as sip,stat would (callmix-udp-500: 350 answered of 500)', () => {
    const stats = analyze(corpus('callmix-udp-500')).stats;
    expect(stats.outcomes).toEqual({ completed: 350, busy: 49, cancelled: 40, failed: 16, rejected: 45 });
    expect(stats.asr).toBeCloseTo(0.7, 10);
  });
});

describe('registrations', () => {
  it('registered after the challenge, then unregistered by Expires: 0 (register-digest)', () => {
    const c = corpus('register-digest');
    const registered = analyze(cutAfter(c, 3)).registrations[0]!;
    expect(registered).toMatchObject({ aor: 'sip:alice@sipladder.test', outcome: 'registered', finalStatus: 200, expires: 3600, challenges: 1 });
    expect(registered.attempts.map((a) => [a.cseq, a.request, a.final, a.finalStatus, a.challenged, a.hadCredentials, a.expiresRequested, a.expiresGranted])).toEqual([
      ['1 REGISTER', 0, 1, 401, true, false, 3600, null],
      ['2 REGISTER', 2, 3, 200, false, true, 3600, 3600],
    ]);
    const removed = analyze(c).registrations[0]!;
    expect(removed).toMatchObject({ outcome: 'unregistered', expires: 0, finalStatus: 200 });
    expect(removed.explanation).toContain('binding was removed');
  });

  it('takes the granted expiry from the 200 when the registrar shortens it', () => {
    const r = analyze(edit(cutAfter(corpus('register-digest'), 3), 3, { contactExpires: 600 })).registrations[0]!;
    expect(r.expires).toBe(600);
    expect(r.attempts[1]!.expiresGranted).toBe(600);
  });

  it('failed on 403 after credentials, explained as a refused identity (register-403-forbidden)', () => {
    const r = analyze(corpus('register-403-forbidden')).registrations[0]!;
    expect(r).toMatchObject({ outcome: 'failed', finalStatus: 403, challenges: 1 });
    expect(r.explanation).toMatch(/identity or domain is not accepted/);
  });

  it('failed on an unanswered challenge', () => {
    const r = analyze(cutAfter(corpus('register-403-forbidden'), 1)).registrations[0]!;
    expect(r).toMatchObject({ outcome: 'failed', finalStatus: 401 });
    expect(r.explanation).toMatch(/never answered the challenge/);
  });

  it('explains a second 401 to credentials as a wrong password or a stale nonce', () => {
    const r = analyze(edit(corpus('register-403-forbidden'), 3, { status: 401, reason: 'Unauthorized' })).registrations[0]!;
    expect(r.attempts[1]!.explanation).toMatch(/password or user name is wrong, or the nonce was stale/);
    expect(r.challenges).toBe(2);
  });

  it('names a nonce the credentials reused from an older challenge', () => {
    let c = edit(corpus('register-403-forbidden'), 1, { authNonce: 'n-1', authRealm: 'sipladder.test' });
    c = edit(c, 2, { authNonce: 'n-0' });
    c = edit(c, 3, { status: 401, reason: 'Unauthorized', authNonce: 'n-2' });
    const r = analyze(c).registrations[0]!;
    expect(r.attempts[0]).toMatchObject({ realm: 'sipladder.test', nonce: 'n-1' });
    expect(r.attempts[1]!.explanation).toContain('answered nonce "n-0", not the latest challenge\'s "n-1"');
  });

  it('explains a 423 and whether the retry honoured Min-Expires', () => {
    const base = edit(corpus('register-digest'), 1, { status: 423, reason: 'Interval Too Brief', minExpires: 7200 });
    const honoured = analyze(edit(base, 2, { expires: 7200 })).registrations[0]!;
    expect(honoured.attempts[0]!.explanation).toMatch(/at least 7200 s \(Min-Expires\).*asked for 7200 s, which honours it/);
    const ignored = analyze(base).registrations[0]!;
    expect(ignored.attempts[0]!.explanation).toMatch(/asked for 3600 s, which does not honour it/);
  });

  it('explains a 503 with and without Retry-After', () => {
    const c = cutAfter(corpus('register-403-forbidden'), 3);
    const without = analyze(edit(c, 3, { status: 503, reason: 'Service Unavailable' })).registrations[0]!;
    expect(without.explanation).toMatch(/overloaded or in maintenance; it gave no Retry-After/);
    const withRa = analyze(edit(c, 3, { status: 503, reason: 'Service Unavailable', retryAfter: 30 })).registrations[0]!;
    expect(withRa.explanation).toMatch(/retry after 30 s/);
  });

  it('no-final-response when the last REGISTER timed out, pending before', () => {
    const c = cutAfter(corpus('register-digest'), 4);
    expect(analyze(c).registrations[0]!.outcome).toBe('pending');
    expect(analyze(runOn(c, 32)).registrations[0]!.outcome).toBe('no-final-response');
  });

  it('counts one attempt per CSeq even when the REGISTER crosses a proxy (two hops)', () => {
    const hop: Partial<SipMessage> = { branch: 'z9hG4bK-proxy-reg', sentBy: '127.0.0.1:15070', src: '127.0.0.1:15070', dst: '127.0.0.1:15079' };
    let c = added(corpus('register-digest'), 2, 0.0001, hop).capture;
    c = added(c, 3, -0.0001, { ...hop, src: '127.0.0.1:15079', dst: '127.0.0.1:15070' }).capture;
    const r = analyze(c).registrations[0]!;
    expect(r.attempts.map((a) => a.cseq)).toEqual(['1 REGISTER', '2 REGISTER', '3 REGISTER']);
  });
});
