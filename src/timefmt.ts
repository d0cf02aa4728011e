// Text forms shared by every stage's output: timestamps and endpoints.
import type { IpVersion, Timestamp } from './model.js';

/** Epoch seconds as a decimal string with exactly the capture's digits (no floating point). */
export function formatTimestamp(ts: Timestamp): string {
  if (ts.digits <= 0) return String(ts.sec);
  const frac = String(ts.nsec).padStart(9, '0');
  return `${ts.sec}.${ts.digits >= 9 ? frac : frac.slice(0, ts.digits)}`;
}

/** Seconds from a to b as a double (for deltas and durations, where nanoseconds do not matter). */
export function secondsBetween(a: Timestamp, b: Timestamp): number {
  return (b.sec - a.sec) + (b.nsec - a.nsec) / 1e9;
}

export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a.sec !== b.sec ? a.sec - b.sec : a.nsec - b.nsec;
}

/** "ip:port", with IPv6 addresses in brackets as Wireshark and RFC 3986 write them. */
export function formatEndpoint(ip: string, port: number, version: IpVersion): string {
  return version === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}
