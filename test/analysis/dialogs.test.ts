// Dialog creation and state changes (RFC 3261 §12, §13.2.2.4; RFC 6665 for subscriptions),
// each with a positive and a negative case from real corpus messages.
import { describe, expect, it } from 'vitest';
import { added, analyze, corpus, cutAfter, edit, runOn, without } from './helpers.js';

const summary = (d: { fromTag: string; toTag: string; state: string; endState: string; createdBy: number; confirmedBy: number | null; terminatedBy: number | null }) =>
  [d.fromTag, d.toTag, d.state, d.endState, d.createdBy, d.confirmedBy, d.terminatedBy];

describe('INVITE dialogs', () => {
  it('is created early by the 180, confirmed by the 200, terminated by the caller\'s BYE (call-basic-udp)', () => {
    const a = analyze(corpus('call-basic-udp'));
    expect(a.dialogs.map(summary)).toEqual([['30384SIPpTag001', '30381SIPpTag011', 'confirmed', 'terminated', 2, 3, 5]]);
    expect(a.messageLinks.map((l) => l.dialog)).toEqual([null, null, 0, 0, 0, 0, 0]);
  });

  it('stays early while only the 180 is seen', () => {
    const a = analyze(cutAfter(corpus('call-basic-udp'), 2));
    expect(a.dialogs.map(summary)).toEqual([['30384SIPpTag001', '30381SIPpTag011', 'early', 'early', 2, null, null]]);
  });

  it('is terminated by a BYE from the callee, whose tags are the other way round (anomaly-2xx-never-acked)', () => {
    const a = analyze(corpus('anomaly-2xx-never-acked'));
    expect(a.dialogs.map(summary)).toEqual([['46a03fc0', '2020SIPpTag011', 'confirmed', 'terminated', 2, 3, 14]]);
  });

  it('without a BYE stays confirmed at capture end', () => {
    const a = analyze(without(corpus('call-basic-udp'), 5, 6));
    expect(a.dialogs[0]!.endState).toBe('confirmed');
    expect(a.dialogs[0]!.terminatedBy).toBeNull();
  });

  it('ends an early dialog with the final failure, which is not a BYE (call-486-busy)', () => {
    const a = analyze(corpus('call-486-busy'));
    expect(a.dialogs.map(summary)).toEqual([['1428SIPpTag001', '1425SIPpTag011', 'early', 'terminated', 2, null, null]]);
  });

  it('creates no dialog from a failure response with a To tag (anomaly-503-no-retry-after) nor from a 100 without one', () => {
    expect(analyze(corpus('anomaly-503-no-retry-after')).dialogs).toEqual([]);
    expect(analyze(cutAfter(corpus('call-basic-udp'), 1)).dialogs).toEqual([]);
  });

  it('creates none for re-INVITEs and their 2xx inside the dialog (call-reinvite-hold)', () => {
    const a = analyze(corpus('call-reinvite-hold'));
    expect(a.dialogs).toHaveLength(1);
    expect(a.transactions.filter((t) => t.inDialog).map((t) => t.dialog)).toEqual([0, 0, 0]);
  });

  it('keeps one dialog per fork: the extra early dialog lasts until 64*T1 after the 2xx (§13.2.2.4)', () => {
    const fork = added(cutAfter(corpus('call-basic-udp'), 4), 2, 0.0001, { toTag: 'fork-b' }).capture;
    const a = analyze(fork);
    expect(a.dialogs.map((d) => [d.toTag, d.state, d.endState])).toEqual([
      ['30381SIPpTag011', 'confirmed', 'confirmed'],
      ['fork-b', 'early', 'early'],
    ]);
    expect(analyze(runOn(fork, 32)).dialogs.map((d) => d.endState)).toEqual(['confirmed', 'terminated']);
  });

  it('is ended by a 481 to a request inside it (§12.2.1.2), not by its 200', () => {
    const reinvite = cutAfter(corpus('call-reinvite-hold'), 6);
    expect(analyze(reinvite).dialogs[0]!.endState).toBe('confirmed');
    const a = analyze(edit(reinvite, 6, { status: 481, reason: 'Call/Transaction Does Not Exist' }));
    expect([a.dialogs[0]!.state, a.dialogs[0]!.endState, a.dialogs[0]!.terminatedBy]).toEqual(['confirmed', 'terminated', null]);
  });
});

describe('subscription dialogs', () => {
  it('is created by the 200 to SUBSCRIBE and ended by the NOTIFY with Subscription-State: terminated (subscribe-notify)', () => {
    const a = analyze(corpus('subscribe-notify'));
    expect(a.dialogs.map(summary)).toEqual([['5075SIPpTag001', '5072pres1', 'confirmed', 'terminated', 1, 1, null]]);
    expect(a.dialogs[0]!.method).toBe('SUBSCRIBE');
  });

  it('stays confirmed while the NOTIFYs say active', () => {
    const a = analyze(cutAfter(corpus('subscribe-notify'), 7));
    expect(a.dialogs[0]!.endState).toBe('confirmed');
  });

  it('is created by a NOTIFY that overtakes the 200 to SUBSCRIBE (RFC 6665 §4.1.2.4)', () => {
    const c = corpus('subscribe-notify');
    const [subscribe, ok, notify, notifyOk, ...rest] = c.messages;
    const a = analyze({ messages: [subscribe!, notify!, notifyOk!, ok!, ...rest], end: c.end });
    expect(a.dialogs.map((d) => [d.fromTag, d.toTag, d.createdBy, d.state])).toEqual([['5075SIPpTag001', '5072pres1', 2, 'confirmed']]);
    expect(a.messageLinks[1]!.dialog).toBe(0);
  });
});
