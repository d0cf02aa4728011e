// pcapng timestamps: a 64-bit count of units since 1970, split into two 32-bit halves, whose
// unit the Interface Description Block sets with if_tsresol (RFC draft-ietf-opsawg-pcapng,
// section 4.2: "If the Most Significant Bit is equal to zero, the remaining bits indicates
// the resolution of the timestamp as a negative power of 10 (e.g. 6 means microsecond
// resolution [...]). If the Most Significant Bit is equal to one, the remaining bits
// indicates the resolution as negative power of 2"; the default is 6), plus if_tsoffset
// whole seconds.
//
// The 64-bit count exceeds 2^53, so it is never put in a double: the common resolutions
// (10^-n with n <= 9, 2^-n with n <= 32) are divided exactly with integer steps that stay
// below 2^53; anything finer goes through BigInt (per packet, but only for such interfaces).
import type { Timestamp } from '../model.js';

const TWO_POW_16 = 65536;
const TWO_POW_32 = 4294967296;

export interface TimestampUnit {
  /** True for 2^-exponent seconds, false for 10^-exponent. */
  binary: boolean;
  exponent: number;
  /** Decimal digits the timestamps really hold: n for 10^-n (at most 9), 9 for binary units. */
  digits: number;
  /** if_tsoffset: seconds added to every timestamp. */
  offsetSec: number;
  /** Units per second (10^n or 2^n) and nanoseconds per unit (decimal units with n <= 9). */
  perSecond: number;
  nsecPerUnit: number;
  /** The last `high` half seen, and high*2^32 units as whole seconds (offset included) plus leftover units. */
  cachedHigh: number;
  highSec: number;
  highRemainder: number;
}

/** The unit of an if_tsresol option value (the default, 6, when the option is absent). */
export function timestampUnit(tsresol: number, offsetSec: number): TimestampUnit {
  const binary = (tsresol & 0x80) !== 0;
  const exponent = tsresol & 0x7f;
  return {
    binary,
    exponent,
    digits: binary ? 9 : Math.min(exponent, 9),
    offsetSec,
    perSecond: binary ? 2 ** exponent : 10 ** exponent,
    nsecPerUnit: binary || exponent > 9 ? 0 : 10 ** (9 - exponent),
    cachedHigh: -1,
    highSec: 0,
    highRemainder: 0,
  };
}

/** Converts the two halves of a pcapng timestamp to seconds + nanoseconds, exactly. */
export function unitsToTimestamp(unit: TimestampUnit, high: number, low: number): Timestamp {
  if (!unit.binary && unit.exponent <= 9) return decimalTimestamp(unit, high, low);
  if (unit.binary && unit.exponent <= 32) return binaryTimestamp(unit, high, low);
  return bigIntTimestamp(unit, high, low);
}

/**
 * For 10^-n (n <= 9, so D = 10^n < 2^30): high*2^32 / D is worked out once per value of
 * `high` (it changes every 2^32 units, 4.3 s at nanosecond resolution) by long division, 16
 * bits at a time so that every partial dividend stays below D*2^16 < 2^46, where doubles are
 * exact and Math.floor(t / D) is the true quotient (the distance to the next integer, at
 * least 1/D, is far above the rounding error). Each packet then divides only `low` (< 2^32)
 * and adds the two remainders.
 */
function decimalTimestamp(unit: TimestampUnit, high: number, low: number): Timestamp {
  const divisor = unit.perSecond;
  if (high !== unit.cachedHigh) {
    const q1 = Math.floor(high / divisor);
    const t1 = (high - q1 * divisor) * TWO_POW_16;
    const q2 = Math.floor(t1 / divisor);
    const t2 = (t1 - q2 * divisor) * TWO_POW_16;
    const q3 = Math.floor(t2 / divisor);
    unit.cachedHigh = high;
    unit.highSec = q1 * TWO_POW_32 + q2 * TWO_POW_16 + q3 + unit.offsetSec;
    unit.highRemainder = t2 - q3 * divisor;
  }
  const lowSec = Math.floor(low / divisor);
  let remainder = unit.highRemainder + (low - lowSec * divisor);
  let sec = unit.highSec + lowSec;
  if (remainder >= divisor) {
    remainder -= divisor;
    sec++;
  }
  return { sec, nsec: remainder * unit.nsecPerUnit, digits: unit.digits };
}

/**
 * For 2^-n (n <= 32): the seconds are the bits above n, the fraction f the n bits below.
 * nsec = floor(f * 10^9 / 2^n); f * 10^9 can reach 2^62, so f is split into 16-bit halves
 * (fh, fl): floor((fh*10^9 + floor(fl*10^9 / 2^16)) / 2^(n-16)) is the same integer and
 * every step stays below 2^53 (dividing by a power of two is exact in a double).
 */
function binaryTimestamp(unit: TimestampUnit, high: number, low: number): Timestamp {
  const n = unit.exponent;
  const scale = unit.perSecond;
  const lowSeconds = Math.floor(low / scale);
  const fraction = low - lowSeconds * scale;
  let nsec: number;
  if (n <= 16) {
    nsec = Math.floor((fraction * 1e9) / scale);
  } else {
    const fh = Math.floor(fraction / TWO_POW_16);
    const fl = fraction - fh * TWO_POW_16;
    nsec = Math.floor((fh * 1e9 + Math.floor((fl * 1e9) / TWO_POW_16)) / 2 ** (n - 16));
  }
  return { sec: high * 2 ** (32 - n) + lowSeconds + unit.offsetSec, nsec, digits: unit.digits };
}

/** Any other resolution (10^-12, 2^-40, ...): exact in BigInt, rounded down to nanoseconds. */
function bigIntTimestamp(unit: TimestampUnit, high: number, low: number): Timestamp {
  const units = (BigInt(high) << 32n) | BigInt(low);
  const perSecond = unit.binary ? 1n << BigInt(unit.exponent) : 10n ** BigInt(unit.exponent);
  const sec = units / perSecond;
  const nsec = ((units % perSecond) * 1_000_000_000n) / perSecond;
  return { sec: Number(sec) + unit.offsetSec, nsec: Number(nsec), digits: unit.digits };
}
