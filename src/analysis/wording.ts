// How the analysis writes times and durations in its explanations: wall-clock times as the
// capture recorded them (UTC) and short durations in seconds.
import type { Timestamp } from '../model.js';

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** "14:03:52.227" (UTC, milliseconds): what a user matches against a ladder or a log. */
export function clockTime(ts: Timestamp): string {
  const seconds = ts.sec % 86400;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(Math.floor(ts.nsec / 1e6), 3)}`;
}

/** A duration in seconds, as precise as it is worth showing: "0.203", "4.01", "32.0", "185". */
export function seconds(n: number): string {
  const a = Math.abs(n);
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toFixed(3);
}

/** "0.500, 1.00, 2.00 s". */
export function secondsList(values: readonly number[]): string {
  return `${values.map(seconds).join(', ')} s`;
}

/** "1 copy", "3 copies". */
export function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
