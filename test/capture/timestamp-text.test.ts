// formatTimestamp writes the capture's digits exactly: checked against plain decimal arithmetic
// on BigInt for every precision a capture can declare, across second boundaries and back (the
// whole-second text is remembered between calls).
import { describe, expect, it } from 'vitest';
import type { Timestamp } from '../../src/model.js';
import { formatTimestamp } from '../../src/timefmt.js';

/** sec.nsec with the first `digits` of the nine nanosecond digits, by string arithmetic only. */
function reference(ts: Timestamp): string {
  if (ts.digits <= 0) return String(ts.sec);
  const nine = (BigInt(ts.nsec) + 1_000_000_000n).toString().slice(1);
  return `${ts.sec}.${nine.slice(0, Math.min(ts.digits, 9))}`;
}

const NANOSECONDS = [0, 1, 9, 10, 999, 1000, 1001, 5000, 999_999, 1_000_000, 1_000_001, 123_456_789, 100_000_000, 999_999_000, 999_999_999];

describe('formatTimestamp', () => {
  it('writes exactly the declared digits, from 0 to 12, for nanoseconds at every boundary', () => {
    for (let digits = 0; digits <= 12; digits++) {
      for (const nsec of NANOSECONDS) {
        for (const sec of [0, 1, 1_795_532_484, 4_294_967_295]) {
          const ts = { sec, nsec, digits };
          expect(formatTimestamp(ts), JSON.stringify(ts)).toBe(reference(ts));
        }
      }
    }
  });

  it('follows the seconds when consecutive packets go back and forth across a second', () => {
    const times: Timestamp[] = [];
    for (let i = 0; i < 2000; i++) times.push({ sec: 1_795_532_484 + (i % 3 === 2 ? -1 : Math.floor(i / 7)), nsec: (i * 7_919_993) % 1e9, digits: [6, 9, 3][i % 3]! });
    expect(times.map(formatTimestamp)).toEqual(times.map(reference));
  });
});
