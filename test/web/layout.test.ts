// The pure parts of the page: ladder geometry and virtualisation, label truncation, the
// router's path matching, Call-ID lists in URLs, and time formats.
import { describe, expect, it } from 'vitest';
import { clampPan, firstRowAtOrBelow, layoutLadder, LANE_MAX, LANE_MIN, MIN_TIME_GAP, PX_PER_SECOND, ROW_GAP, truncate, visibleRows } from '../../web/src/ladder/layout.js';
import { matchRoute } from '../../web/src/router.js';
import { decodeCallIds, encodeCallIds } from '../../web/src/api.js';
import { formatDuration, formatEpoch, formatRowTime, uriUser } from '../../web/src/format.js';
import { buildLadder } from '../../src/views/ladder.js';
import { corpusLadderInput } from './corpus-ladder.js';

describe('ladder layout', () => {
  const model = buildLadder(corpusLadderInput('anomaly-2xx-never-acked'));

  it('spaces rows evenly in sequence mode and by time, never closer than the minimum, in time mode', () => {
    const sequence = layoutLadder(model, 'sequence', 100, 800);
    expect(sequence.rowY).toEqual(model.arrows.map((_, i) => i * ROW_GAP));
    const time = layoutLadder(model, 'time', 100, 800);
    expect(time.rowY[0]).toBe(0);
    for (let i = 1; i < time.rowY.length; i++) {
      expect(time.rowY[i] - time.rowY[i - 1]).toBeGreaterThanOrEqual(MIN_TIME_GAP);
      expect(time.rowY[i]).toBeGreaterThanOrEqual(model.arrows[i].offset * PX_PER_SECOND - 1e-9);
    }
    // Where retransmissions are seconds apart, a row sits exactly at its time.
    expect(time.rowY[12]).toBeCloseTo(model.arrows[12].offset * PX_PER_SECOND, 6);
  });

  it('shares the width between lanes within bounds', () => {
    expect(layoutLadder(model, 'sequence', 100, 800).laneWidth).toBe(400);
    expect(layoutLadder(model, 'sequence', 100, 3000).laneWidth).toBe(LANE_MAX);
    const narrow = layoutLadder(model, 'sequence', 100, 200);
    expect(narrow.laneWidth).toBe(LANE_MIN);
    expect(narrow.laneX).toEqual([100 + LANE_MIN / 2, 100 + LANE_MIN * 1.5]);
    expect(narrow.width).toBe(2 * LANE_MIN);
  });

  it('finds the rows in view by binary search, for any zoom and pan', () => {
    const rowY = Array.from({ length: 10_000 }, (_, i) => i * ROW_GAP);
    expect(firstRowAtOrBelow(rowY, 0, 1, 0)).toBe(0);
    expect(firstRowAtOrBelow(rowY, ROW_GAP * 10, 1, 0)).toBe(10);
    expect(firstRowAtOrBelow(rowY, ROW_GAP * 10 + 1, 1, 0)).toBe(11);
    const [start, end] = visibleRows(rowY, 66, 800, 1, -ROW_GAP * 5000, 0);
    expect(start).toBe(5002);
    expect(end - start).toBe(Math.ceil((800 - 66) / ROW_GAP));
    const [zStart, zEnd] = visibleRows(rowY, 0, 880, 0.1, 0, 0);
    expect([zStart, zEnd]).toEqual([0, 200]);
    expect(visibleRows([], 0, 800, 1, 0)).toEqual([0, 0]);
  });

  it('keeps the vertical pan inside the drawing', () => {
    // A short drawing stays at the top.
    expect(clampPan(-500, 1, 300, 66, 700)).toBe(66 + ROW_GAP / 2);
    // A tall one can scroll until its end reaches the bottom, not further.
    expect(clampPan(-100_000, 1, 10_000, 66, 700)).toBe(66 + 700 - 10_000);
    expect(clampPan(-1000, 1, 10_000, 66, 700)).toBe(-1000);
    expect(clampPan(500, 1, 10_000, 66, 700)).toBe(66 + ROW_GAP / 2);
  });

  it('cuts labels to a width with an ellipsis, measuring the text', () => {
    const measure = (s: string) => s.length * 7;
    expect(truncate('INVITE', 100, measure)).toBe('INVITE');
    expect(truncate('486 Busy Here', 70, measure)).toBe('486 Busy…');
    expect(truncate('486 Busy Here', 50, measure)).toBe('486 Bu…');
    expect(measure(truncate('audio 127.0.0.1:6000 PCMU,PCMA sendrecv', 120, measure))).toBeLessThanOrEqual(120);
    expect(truncate('x', 3, measure)).toBe('');
  });
});

describe('routes and URLs', () => {
  it('matches the History API routes', () => {
    expect(matchRoute('/')).toEqual({ kind: 'captures', key: '', shared: false, callIds: null });
    expect(matchRoute('/captures/12')).toEqual({ kind: 'capture', key: '12', shared: false, callIds: null });
    expect(matchRoute('/captures/12/registrations')).toEqual({ kind: 'registrations', key: '12', shared: false, callIds: null });
    expect(matchRoute('/captures/12/calls/a%40b,c%2Cd')).toEqual({ kind: 'call', key: '12', shared: false, callIds: 'a%40b,c%2Cd' });
    expect(matchRoute('/s/tok_EN-1')).toEqual({ kind: 'capture', key: 'tok_EN-1', shared: true, callIds: null });
    expect(matchRoute('/s/tok/calls/x')).toEqual({ kind: 'call', key: 'tok', shared: true, callIds: 'x' });
    expect(matchRoute('/captures')).toBeNull();
    expect(matchRoute('/elsewhere/1')).toBeNull();
    expect(matchRoute('/captures/1/calls')).toBeNull();
  });

  it('writes several Call-IDs in one path segment, commas inside a Call-ID included', () => {
    const ids = ['1-8066@127.0.0.1', 'odd,call/id?#%', 'ünï'];
    const encoded = encodeCallIds(ids);
    expect(encoded.split(',')).toHaveLength(3);
    expect(encoded).not.toMatch(/[/?#]/);
    expect(decodeCallIds(encoded)).toEqual(ids);
  });
});

describe('formats', () => {
  it('writes capture times as UTC without losing digits', () => {
    expect(formatEpoch('1795532550.720284498')).toBe('2026-11-24 15:02:30.720284 UTC');
    expect(formatEpoch('1795532550.720284498', false)).toBe('15:02:30.720284');
    expect(formatEpoch('1795532550')).toBe('2026-11-24 15:02:30 UTC');
    expect(formatEpoch(null)).toBe('–');
    expect(formatRowTime('absolute', '1795532550.720284498', 0, 0)).toBe('15:02:30.720284');
    expect(formatRowTime('relative', '0', 1.5069885, 0)).toBe('1.506989');
    expect(formatRowTime('delta', '0', 0, 0.000109944)).toBe('+0.000110');
  });

  it('writes durations and URI users plainly', () => {
    expect(formatDuration(0.303)).toBe('303 ms');
    expect(formatDuration(32.044866)).toBe('32.04 s');
    expect(formatDuration(245)).toBe('4 min 05 s');
    expect(formatDuration(null)).toBe('–');
    expect(uriUser('sip:alice@example.com')).toBe('alice');
    expect(uriUser('tel:+4930123')).toBe('+4930123');
    expect(uriUser('sip:example.com')).toBe('example.com');
  });
});
