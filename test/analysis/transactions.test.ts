// Transaction matching (RFC 3261 §17.1.3, §17.2.3), ACKs (§13.2.2.4, §17.1.1.3),
// retransmissions and states at capture end, each rule with a positive and a negative case
// built from real corpus messages changed as little as the case needs.
import { describe, expect, it } from 'vitest';
import { added, analyze, corpus, cutAfter, edit, runOn, txnOf, without } from './helpers.js';

describe('request and response matching', () => {
  it('opens a transaction per request and joins responses on branch + CSeq method (call-basic-udp)', () => {
    const a = analyze(corpus('call-basic-udp'));
    expect(a.transactions.map((t) => [t.method, t.requests, t.responses, t.inDialog])).toEqual([
      ['INVITE', [0], [1, 2, 3], false],
      ['BYE', [5], [6], true],
    ]);
    expect(a.transactions[0]!).toMatchObject({ branch: 'z9hG4bK-30384-1-0', sentBy: '127.0.0.1:15061', cseq: '1 INVITE', finalStatus: 200, finalResponse: 3 });
    expect(a.messageLinks.map((l) => l.transaction)).toEqual([0, 0, 0, 0, 0, 1, 1]);
  });

  it('does not join a response whose CSeq method differs from the branch\'s request (the BYE\'s 200 given the INVITE\'s branch)', () => {
    const c = edit(corpus('call-basic-udp'), 6, { branch: 'z9hG4bK-30384-1-0' });
    const a = analyze(c);
    expect(a.messageLinks[6]!.transaction).toBeNull();
    expect(txnOf(a, 5)!.responses).toEqual([]);
  });

  it('marks further copies of a request as retransmissions of the first (anomaly-invite-no-response)', () => {
    const a = analyze(corpus('anomaly-invite-no-response'));
    expect(a.transactions).toHaveLength(1);
    expect(a.transactions[0]!.requests).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(a.transactions[0]!.retransmissions).toBe(6);
    expect(a.transactions[0]!.retransmitIntervals.map((s) => Math.round(s * 10) / 10)).toEqual([0.5, 1, 2, 4, 8, 16]);
    expect(a.messageLinks.map((l) => l.retransmissionOf)).toEqual([null, 0, 0, 0, 0, 0, 0]);
  });

  it('treats a copy with its own branch as a new hop, not a retransmission (a proxy forwarding the INVITE)', () => {
    const c = edit(corpus('anomaly-invite-no-response'), 1, { branch: 'z9hG4bK-proxy-hop-1', sentBy: '127.0.0.1:5060', src: '127.0.0.1:5060' });
    const a = analyze(c);
    expect(a.transactions.map((t) => t.requests)).toEqual([[0, 2, 3, 4, 5, 6], [1]]);
    expect(a.messageLinks[1]!.retransmissionOf).toBeNull();
  });

  it('keeps requests with the same branch but another sent-by apart (§17.2.3 matches sent-by too)', () => {
    const a = analyze(edit(corpus('anomaly-invite-no-response'), 2, { sentBy: '192.0.2.7:5060' }));
    expect(a.transactions).toHaveLength(2);
    expect(a.messageLinks[2]!.retransmissionOf).toBeNull();
  });

  it('sees the same INVITE on two hops (in and out of a proxy, new top Via) as two transactions', () => {
    const { capture } = added(corpus('call-basic-udp'), 0, 0.001, { branch: 'z9hG4bK-proxy-7', sentBy: '127.0.0.1:15060', src: '127.0.0.1:15060', dst: '127.0.0.1:15062' });
    const a = analyze(capture);
    expect(a.transactions.filter((t) => t.method === 'INVITE')).toHaveLength(2);
    expect(a.messageLinks.every((l) => l.retransmissionOf === null)).toBe(true);
  });

  it('makes CANCEL its own transaction with the INVITE\'s branch (call-cancel-487)', () => {
    const a = analyze(corpus('call-cancel-487'));
    expect(a.transactions.map((t) => [t.method, t.branch, t.requests, t.responses])).toEqual([
      ['INVITE', 'z9hG4bK-1575-1-inv', [0], [1, 2, 5]],
      ['CANCEL', 'z9hG4bK-1575-1-inv', [3], [4]],
    ]);
    expect(a.messageLinks[3]!.retransmissionOf).toBeNull();
  });
});

describe('ACK', () => {
  it('puts the ACK of a non-2xx final inside the INVITE transaction (call-486-busy)', () => {
    const a = analyze(corpus('call-486-busy'));
    expect(a.transactions).toHaveLength(1);
    expect(a.transactions[0]!).toMatchObject({ ack: [4], ackFor: 'non-2xx', requests: [0] });
  });

  it('lists the ACK of a 2xx under the INVITE it confirms without making it a transaction (call-basic-udp)', () => {
    const a = analyze(corpus('call-basic-udp'));
    expect(a.transactions[0]!).toMatchObject({ ack: [4], ackFor: '2xx' });
    expect(a.transactions.some((t) => t.requests.includes(4))).toBe(false);
    expect(a.messageLinks[4]).toEqual({ transaction: 0, dialog: 0, retransmissionOf: null });
  });

  it('still matches a non-2xx ACK sent with a new branch (against §17.1.1.3) on CSeq and To tag', () => {
    const a = analyze(edit(corpus('call-486-busy'), 4, { branch: 'z9hG4bK-new-branch' }));
    expect(a.transactions).toHaveLength(1);
    expect(a.transactions[0]!).toMatchObject({ ack: [4], ackFor: 'non-2xx' });
  });

  it('leaves an ACK unmatched when the capture lacks the 2xx it confirms', () => {
    const a = analyze(without(corpus('call-basic-udp'), 3));
    expect(a.messageLinks[4]!.transaction).toBeNull();
    expect(a.transactions[0]!.ack).toEqual([]);
  });

  it('matches a 2xx ACK on its From tag too: the callee\'s re-INVITE may reuse the caller\'s CSeq number', () => {
    // call-basic-udp after its ACK, then a re-INVITE from the callee, CSeq 1 in its own CSeq space
    const callee = { fromTag: '30381SIPpTag011', toTag: '30384SIPpTag001', sentBy: '127.0.0.1:15060' };
    const toCaller = { src: '127.0.0.1:15060', dst: '127.0.0.1:15061' };
    const toCallee = { src: '127.0.0.1:15061', dst: '127.0.0.1:15060' };
    let c = added(cutAfter(corpus('call-basic-udp'), 4), 4, 1, { ...callee, ...toCaller, method: 'INVITE', cseq: '1 INVITE', cseqMethod: 'INVITE', branch: 'z9hG4bK-callee-reinvite' }).capture;
    c = added(c, 3, 1.001, { ...callee, ...toCallee, branch: 'z9hG4bK-callee-reinvite' }).capture;
    const ack = added(c, 4, 1.002, { ...callee, ...toCaller, branch: 'z9hG4bK-callee-ack' });
    const a = analyze(ack.capture);
    expect(a.transactions.map((t) => [t.method, t.inDialog, t.ack])).toEqual([
      ['INVITE', false, [4]],
      ['INVITE', true, [ack.id]],
    ]);
  });

  it('gives each hop its own copy of a 2xx ACK that crossed a proxy', () => {
    // hop 2 of call-basic-udp: proxy 127.0.0.1:15060 -> UAS 127.0.0.1:15062, its own branches
    const hop = { sentBy: '127.0.0.1:15060', src: '127.0.0.1:15060', dst: '127.0.0.1:15062' };
    let c = added(corpus('call-basic-udp'), 0, 0.0001, { ...hop, branch: 'z9hG4bK-hop2-inv' }).capture;
    c = added(c, 3, -0.0001, { branch: 'z9hG4bK-hop2-inv', sentBy: '127.0.0.1:15060', src: '127.0.0.1:15062', dst: '127.0.0.1:15060' }).capture;
    const ack2 = added(c, 4, 0.0001, { ...hop, branch: 'z9hG4bK-hop2-ack' });
    const a = analyze(ack2.capture);
    const invites = a.transactions.filter((t) => t.method === 'INVITE');
    expect(invites.map((t) => [t.branch, t.ack, t.ackFor])).toEqual([
      ['z9hG4bK-30384-1-0', [4], '2xx'],
      ['z9hG4bK-hop2-inv', [ack2.id], '2xx'],
    ]);
  });
});

describe('response retransmissions', () => {
  it('marks copies of a response with the same status and To tag (anomaly-2xx-never-acked: ten 200 OK copies)', () => {
    const a = analyze(corpus('anomaly-2xx-never-acked'));
    for (let id = 4; id <= 13; id++) expect(a.messageLinks[id]!.retransmissionOf).toBe(3);
    expect(a.transactions[0]!.retransmissions).toBe(10);
  });

  it('does not take a 2xx with another To tag (a second fork answering) for a retransmission', () => {
    const a = analyze(edit(corpus('anomaly-2xx-never-acked'), 4, { toTag: 'fork-b' }));
    expect(a.messageLinks[4]!.retransmissionOf).toBeNull();
    expect(a.transactions[0]!.retransmissions).toBe(9);
    expect(a.dialogs.map((d) => d.toTag)).toEqual(['2020SIPpTag011', 'fork-b']);
  });

  it('counts a reliable provisional repeated with its RSeq as a retransmission, and one with a new RSeq as a new response (call-prack-update-info)', () => {
    const same = added(corpus('call-prack-update-info'), 2, 0.0001);
    expect(analyze(same.capture).messageLinks[same.id]!.retransmissionOf).toBe(2);
    const next = added(corpus('call-prack-update-info'), 2, 0.0001, { rseq: 3 });
    expect(analyze(next.capture).messageLinks[next.id]!.retransmissionOf).toBeNull();
  });
});

describe('RFC 2543 requests (branch without z9hG4bK)', () => {
  const strip = (name: string) => {
    const c = corpus(name);
    return { messages: c.messages.map((m) => ({ ...m, branch: m.branch === null ? null : m.branch.replace('z9hG4bK', 'old') })), end: c.end };
  };

  it('matches on Call-ID + CSeq + From tag + sent-by: call-basic-udp keeps its two transactions and its 2xx ACK', () => {
    const a = analyze(strip('call-basic-udp'));
    expect(a.transactions.map((t) => [t.method, t.requests, t.responses])).toEqual([
      ['INVITE', [0], [1, 2, 3]],
      ['BYE', [5], [6]],
    ]);
    expect(a.transactions[0]!).toMatchObject({ ack: [4], ackFor: '2xx' });
  });

  it('still recognises retransmissions, and tells copies with another From tag apart', () => {
    const c = strip('anomaly-invite-no-response');
    expect(analyze(c).transactions[0]!.retransmissions).toBe(6);
    const other = analyze(edit(c, 3, { fromTag: 'another-caller' }));
    expect(other.transactions.map((t) => t.requests)).toEqual([[0, 1, 2, 4, 5, 6], [3]]);
  });
});

describe('transaction state at capture end', () => {
  it('terminates an INVITE at its 2xx, keeps a non-INVITE completed for Timer K (5 s on UDP)', () => {
    const c = corpus('call-basic-udp');
    expect(analyze(c).transactions.map((t) => t.state)).toEqual(['terminated', 'completed']);
    expect(analyze(runOn(c, 5)).transactions.map((t) => t.state)).toEqual(['terminated', 'terminated']);
  });

  it('ends Timer K at once on TCP (call-basic-tcp)', () => {
    expect(new Set(analyze(corpus('call-basic-tcp')).transactions.map((t) => t.state))).toEqual(new Set(['terminated']));
  });

  it('keeps an INVITE answered with a failure completed for Timer D (32 s on UDP)', () => {
    const c = corpus('call-486-busy');
    expect(analyze(c).transactions[0]!.state).toBe('completed');
    expect(analyze(runOn(c, 32)).transactions[0]!.state).toBe('terminated');
  });

  it('times out an INVITE retransmitted for 31.5 s (anomaly-invite-no-response), but not one 3.5 s into the capture', () => {
    const c = corpus('anomaly-invite-no-response');
    expect(analyze(c).transactions[0]!.state).toBe('timed-out');
    expect(analyze(cutAfter(c, 3)).transactions[0]!.state).toBe('pending');
  });

  it('lets an INVITE that got a provisional ring for Timer C (3 minutes) before it times out', () => {
    const ringing = cutAfter(corpus('call-basic-udp'), 2);
    expect(analyze(runOn(ringing, 40)).transactions[0]!.state).toBe('pending');
    expect(analyze(runOn(ringing, 180)).transactions[0]!.state).toBe('timed-out');
  });
});
