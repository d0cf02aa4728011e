// Linking the legs of a B2BUA / SBC call, on the two calls of call-basic-udp-sll: leg A is
// the first call, leg B the second one, changed to carry the evidence each rule looks for.
import { describe, expect, it } from 'vitest';
import type { SipMessage } from '../../src/model.js';
import { analyze, corpus, moved, type Capture } from './helpers.js';

const LEG_A = '1-30541@127.0.0.1';
const LEG_B = '2-30541@127.0.0.1';

/** call-basic-udp-sll with every message of the second call changed by `patch`. */
function legB(patch: (m: SipMessage) => Partial<SipMessage>): Capture {
  const c = corpus('call-basic-udp-sll');
  const messages = c.messages.map((m) => (m.callId === LEG_B ? { ...m, ...patch(m) } : m));
  const at = (m: SipMessage) => m.ts.sec + m.ts.nsec / 1e9;
  return { messages: messages.sort((a, b) => at(a) - at(b)), end: c.end };
}

/** Leg B as a B2BUA's outgoing leg: from A's destination (127.0.0.1:15062) to a new callee, 0.5 s after A's INVITE. */
function outgoingLeg(m: SipMessage): Partial<SipMessage> {
  const b2bua = '127.0.0.1:15062';
  const callee = '127.0.0.1:15064';
  const hop = m.isRequest ? { src: b2bua, dst: callee, sentBy: b2bua } : { src: callee, dst: b2bua, sentBy: b2bua };
  return { ...moved(m, -3.5), ...hop };
}

const legsOf = (c: Capture, options = {}) => analyze(c, options).calls.map((call) => [call.callId, call.legs]);

describe('call legs', () => {
  it('links nothing between two ordinary calls (call-basic-udp-sll, callmix-udp-500)', () => {
    expect(legsOf(corpus('call-basic-udp-sll'))).toEqual([[LEG_A, []], [LEG_B, []]]);
    expect(analyze(corpus('callmix-udp-500')).calls.filter((c) => c.legs.length > 0)).toEqual([]);
  });

  it('links a leg whose X-Call-ID names the other Call-ID', () => {
    expect(legsOf(legB(() => ({ xCallId: LEG_A })))).toEqual([
      [LEG_A, [{ callId: LEG_B, reason: 'X-Call-ID header', guess: false }]],
      [LEG_B, [{ callId: LEG_A, reason: 'X-Call-ID header', guess: false }]],
    ]);
  });

  it('links legs that share a P-Charging-Vector icid', () => {
    const c = legB(() => ({ icid: 'icid-value-7' }));
    for (const m of c.messages) if (m.callId === LEG_A) m.icid = 'icid-value-7';
    expect(legsOf(c)[0]![1]).toEqual([{ callId: LEG_B, reason: 'P-Charging-Vector icid', guess: false }]);
    for (const m of c.messages) if (m.callId === LEG_A) m.icid = 'another-icid';
    expect(legsOf(c)[0]![1]).toEqual([]);
  });

  it('links Call-IDs that the configured pattern maps to the same key, and not others', () => {
    expect(legsOf(corpus('call-basic-udp-sll'), { legLinkHeader: /-(\d+)@/ })[0]![1]).toEqual([{ callId: LEG_B, reason: 'Call-ID pattern -(\\d+)@', guess: false }]);
    expect(legsOf(corpus('call-basic-udp-sll'), { legLinkHeader: /^(\d+)-/ })[0]![1]).toEqual([]);
  });

  it('links a Call-ID made of the other plus a separated suffix or prefix', () => {
    expect(legsOf(legB(() => ({ callId: `${LEG_A}_b2b-leg` })))[0]![1]).toEqual([{ callId: `${LEG_A}_b2b-leg`, reason: 'Call-ID prefix', guess: false }]);
    expect(legsOf(legB(() => ({ callId: `B2B-${LEG_A}` })))[0]![1]).toEqual([{ callId: `B2B-${LEG_A}`, reason: 'Call-ID suffix', guess: false }]);
    expect(legsOf(legB(() => ({ callId: `1${LEG_A}` })))[0]![1]).toEqual([]);
  });

  it('links every Call-ID made of one other plus a prefix, in call order, however many', () => {
    const c = corpus('call-basic-udp-sll');
    const legB = c.messages.filter((m) => m.callId === LEG_B);
    const copies = Array.from({ length: 12 }, (_, k) => legB.map((m) => ({ ...m, callId: `${k.toString(36)}.${LEG_A}` })));
    const messages = [...c.messages, ...copies.flat()].map((m, id) => ({ ...m, id }));
    const legs = new Map(legsOf({ messages, end: c.end }) as [string, { callId: string; reason: string }[]][]);
    const prefixed = copies.map((_, k) => `${k.toString(36)}.${LEG_A}`);
    expect(legs.get(LEG_A)!.map((l) => l.callId)).toEqual(prefixed);
    for (const id of prefixed) expect(legs.get(id)).toEqual([{ callId: LEG_A, reason: 'Call-ID suffix', guess: false }]);
    expect(legs.get(LEG_B)).toEqual([]);
  });

  it('guesses a link from the same caller and callee on the next hop within the window', () => {
    const links = legsOf(legB(outgoingLeg));
    expect(links[0]![1]).toEqual([{ callId: LEG_B, reason: 'guess: same caller and callee, INVITEs 0.496 s apart on different hops', guess: true }]);
    expect(links[1]![1]).toEqual([{ callId: LEG_A, reason: 'guess: same caller and callee, INVITEs 0.496 s apart on different hops', guess: true }]);
  });

  it('guesses nothing outside the window, on the same hop, or with no codec in common', () => {
    expect(legsOf(legB(outgoingLeg), { legGuessWindowSec: 0.4 })[0]![1]).toEqual([]);
    expect(legsOf(legB((m) => moved(m, -3.5)))[0]![1]).toEqual([]);
    const audio = (codec: string) => ({ origin: null, address: '127.0.0.1', media: [{ media: 'audio', port: 6000, proto: 'RTP/AVP', formats: ['0'], codecs: [codec], address: '127.0.0.1', direction: 'sendrecv' as const }] });
    const c = legB((m) => ({ ...outgoingLeg(m), sdp: m.id === 7 ? audio('G722/8000') : null }));
    for (const m of c.messages) if (m.id === 0) m.sdp = audio('PCMU/8000');
    expect(legsOf(c)[0]![1]).toEqual([]);
  });
});
