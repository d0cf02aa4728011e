// The ladder model built from the corpus's ground truth (messages.json, expected.json, tshark):
// lanes, labels, classes, times, retransmission copies, anomaly marks, SDP summaries, merging
// and aliases, and the ASCII export checked against golden text files.
import { describe, expect, it } from 'vitest';
import { buildLadder, endpointHost, sdpSummaryText } from '../../src/views/ladder.js';
import { renderAsciiLadder } from '../../src/views/ascii-ladder.js';
import { corpusLadderInput } from './corpus-ladder.js';

describe('buildLadder', () => {
  it('draws a basic call with the caller first, one arrow per message, labels and classes', () => {
    const model = buildLadder(corpusLadderInput('call-basic-udp'));
    expect(model.lanes.map((l) => [l.address, l.label, l.userAgent, l.aliases])).toEqual([
      ['127.0.0.1:15061', '127.0.0.1:15061', 'SIPp-UAC/3.6', ['127.0.0.1:15061']],
      ['127.0.0.1:15060', '127.0.0.1:15060', 'SIPp-UAS/3.6', ['127.0.0.1:15060']],
    ]);
    expect(model.arrows.map((a) => [a.message, a.from, a.label, a.arrowClass])).toEqual([
      [0, '127.0.0.1:15061', 'INVITE', 'request'],
      [1, '127.0.0.1:15060', '100 Trying', '1xx'],
      [2, '127.0.0.1:15060', '180 Ringing', '1xx'],
      [3, '127.0.0.1:15060', '200 OK', '2xx'],
      [4, '127.0.0.1:15061', 'ACK', 'request'],
      [5, '127.0.0.1:15061', 'BYE', 'request'],
      [6, '127.0.0.1:15060', '200 OK', '2xx'],
    ]);
    expect(model.callIds).toHaveLength(1);
    expect(model.arrows[0].sdp).toBe('audio 127.0.0.1:6004 PCMU,PCMA,telephone-event sendrecv');
    expect(model.arrows[3].sdp).toBe('audio 127.0.0.1:6000 PCMU,telephone-event sendrecv');
    expect(model.arrows[1].sdp).toBeNull();
    expect(model.arrows[0].offset).toBe(0);
    expect(model.arrows[0].delta).toBe(0);
    for (let i = 1; i < model.arrows.length; i++) {
      const a = model.arrows[i];
      expect(a.delta).toBeCloseTo(a.offset - model.arrows[i - 1].offset, 9);
      expect(a.delta).toBeGreaterThanOrEqual(0);
    }
    expect(model.arrows.every((a) => a.copy === 1 && a.anomalies.length === 0)).toBe(true);
  });

  it('numbers retransmission copies and marks anomalies on the arrows they name', () => {
    const input = corpusLadderInput('anomaly-2xx-never-acked');
    const model = buildLadder(input);
    const oks = model.arrows.filter((a) => a.label === '200 OK' && a.transaction === model.arrows[0].transaction);
    expect(oks.map((a) => a.copy)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(oks.slice(1).every((a) => a.retransmissionOf === oks[0].message)).toBe(true);
    const [anomaly] = model.anomalies;
    expect(anomaly.kind).toBe('invite-2xx-not-acked');
    expect(model.arrows.filter((a) => a.anomalies.includes(anomaly.id)).map((a) => a.message)).toEqual(anomaly.messages);
    // The callee gives up after 64*T1 = 32 s.
    expect(model.arrows.at(-2)!.offset).toBeGreaterThan(32);
  });

  it('merges every port of a host into one lane and names lanes by alias', () => {
    const input = corpusLadderInput('call-basic-udp');
    const merged = buildLadder({ ...input, merge: 'host', aliases: { '127.0.0.1': 'loopback host' } });
    expect(merged.lanes).toEqual([
      { id: '127.0.0.1', address: '127.0.0.1', label: 'loopback host', userAgent: 'SIPp-UAC/3.6', aliases: ['127.0.0.1:15061', '127.0.0.1:15060'] },
    ]);
    expect(merged.arrows.every((a) => a.from === '127.0.0.1' && a.to === '127.0.0.1')).toBe(true);

    const named = buildLadder({ ...input, aliases: { '127.0.0.1:15060': 'bob (UAS)', '127.0.0.1': 'host' } });
    expect(named.lanes.map((l) => l.label)).toEqual(['host', 'bob (UAS)']);
  });

  it('draws several Call-IDs on one diagram, in order of first appearance', () => {
    const all = corpusLadderInput('call-basic-udp-sll');
    const callIds = [...new Set(all.messages.map((m) => m.callId!))];
    const model = buildLadder(all);
    expect(model.callIds).toEqual(callIds);
    expect(model.arrows).toHaveLength(14);
    expect(new Set(model.arrows.map((a) => a.callId))).toEqual(new Set(callIds));
  });

  it('keeps IPv6 endpoints bracketed in lanes and finds aliases by the bare address', () => {
    expect(endpointHost('[::1]:15060')).toBe('::1');
    expect(endpointHost('10.0.0.1:5060')).toBe('10.0.0.1');
    expect(endpointHost('::1')).toBe('::1');
    expect(endpointHost('10.0.0.1')).toBe('10.0.0.1');
    const model = buildLadder({ ...corpusLadderInput('call-basic-ipv6'), aliases: { '::1': 'v6 host' } });
    expect(model.lanes.map((l) => l.address)).toEqual(['[::1]:15201', '[::1]:15200']);
    expect(model.lanes.map((l) => l.label)).toEqual(['v6 host', 'v6 host']);
    expect(model.arrows[0].sdp).toMatch(/^audio \[::1\]:\d+ /);
  });

  it('writes SDP streams with their direction and formats without rtpmap by number', () => {
    expect(sdpSummaryText({
      origin: null,
      address: '10.0.0.1',
      media: [
        { media: 'audio', port: 4000, proto: 'RTP/AVP', formats: ['0', '8'], codecs: ['PCMU/8000', 'PCMA/8000'], address: null, direction: 'sendonly' },
        { media: 'video', port: 0, proto: 'RTP/AVP', formats: ['96'], codecs: [], address: '10.0.0.2', direction: 'inactive' },
      ],
    })).toBe('audio 10.0.0.1:4000 PCMU,PCMA sendonly; video 10.0.0.2:0 96 inactive');
  });

  it('gives an empty diagram for no messages', () => {
    expect(buildLadder({ messages: [], anomalies: [] })).toEqual({ callIds: [], lanes: [], arrows: [], anomalies: [] });
  });
});

describe('renderAsciiLadder', () => {
  it('renders a basic call with absolute times', async () => {
    const text = renderAsciiLadder(buildLadder(corpusLadderInput('call-basic-udp')), { time: 'absolute' });
    await expect(text).toMatchFileSnapshot('__snapshots__/call-basic-udp.absolute.txt');
  });

  it('renders retransmissions and the anomaly with relative times', async () => {
    const text = renderAsciiLadder(buildLadder(corpusLadderInput('anomaly-2xx-never-acked')), { time: 'relative' });
    expect(text.split('\n').filter((l) => l.includes('200 OK')).length).toBe(12);
    await expect(text).toMatchFileSnapshot('__snapshots__/anomaly-2xx-never-acked.relative.txt');
  });

  it('renders a failed registration with deltas and aliases', async () => {
    const input = corpusLadderInput('register-403-forbidden');
    const text = renderAsciiLadder(buildLadder({ ...input, aliases: { [input.messages[0].dst]: 'registrar' } }), { time: 'delta' });
    await expect(text).toMatchFileSnapshot('__snapshots__/register-403-forbidden.delta.txt');
  });

  it('renders a three-lane diagram (two callers, one callee)', async () => {
    // The call mix has two callers and one callee: the first call of each caller.
    const all = corpusLadderInput('callmix-udp-500');
    const firstCallOf = new Map<string, string>();
    for (const m of all.messages) if (m.method === 'INVITE' && !firstCallOf.has(m.src)) firstCallOf.set(m.src, m.callId!);
    const input = corpusLadderInput('callmix-udp-500', [...firstCallOf.values()]);
    const model = buildLadder(input);
    expect(model.lanes).toHaveLength(3);
    const text = renderAsciiLadder(model, { time: 'relative' });
    await expect(text).toMatchFileSnapshot('__snapshots__/callmix-two-callers.relative.txt');
  });
});
