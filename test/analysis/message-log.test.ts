// The message log's time texts: made as one flat string per time, they must read exactly as
// formatTimestamp writes the same timestamp, whatever its seconds, nanoseconds and digits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { epochText } from '../../src/analysis/message-log.js';
import { formatTimestamp } from '../../src/timefmt.js';

describe('epochText', () => {
  it('writes what formatTimestamp writes, for any second (ten digits mostly), nanosecond and precision', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 1e9, max: 1e10 - 1 }), fc.integer({ min: 0, max: 2 ** 40 })), fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 0, max: 12 }), (sec, nsec, digits) => {
        expect(epochText(sec, nsec, digits)).toBe(formatTimestamp({ sec, nsec, digits }));
      }),
      { numRuns: 5000 },
    );
  });

  it('writes the times of a 2026 capture in microseconds and nanoseconds, zeros kept', () => {
    expect(epochText(1795532768, 344113384, 9)).toBe('1795532768.344113384');
    expect(epochText(1795532768, 5000, 6)).toBe('1795532768.000005');
    expect(epochText(1795532768, 0, 3)).toBe('1795532768.000');
    expect(epochText(1795532768, 999_999_999, 3)).toBe('1795532768.999');
  });
});
