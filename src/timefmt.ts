// Text forms shared by every stage's output: timestamps and endpoints.
import type { IpVersion, Timestamp } from './model.js';

/** "000" to "999": nanoseconds are written three digits at a time, without number-to-string conversions. */
const THREE_DIGITS: string[] = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

/** The whole-second part of the last timestamp formatted, with its dot: consecutive packets mostly share it. */
let cachedSec = NaN;
let cachedSecText = '';

/** Epoch seconds as a decimal string with exactly the capture's digits (no floating point). */
export function formatTimestamp(ts: Timestamp): string {
  const digits = ts.digits;
  if (digits <= 0) return String(ts.sec);
  const nsec = ts.nsec;
  if (ts.sec !== cachedSec) {
    cachedSecText = `${ts.sec}.`;
    cachedSec = ts.sec;
  }
  if (!Number.isInteger(nsec) || nsec < 0 || nsec >= 1e9) {
    const frac = String(nsec).padStart(9, '0');
    return cachedSecText + (digits >= 9 ? frac : frac.slice(0, digits));
  }
  // The nine nanosecond digits in three groups; the first `digits` of them are written.
  const millis = Math.floor(nsec / 1e6);
  if (digits === 3) return cachedSecText + THREE_DIGITS[millis];
  const micros = Math.floor(nsec / 1e3) - millis * 1000;
  if (digits === 6) return cachedSecText + (THREE_DIGITS[millis] + THREE_DIGITS[micros]);
  const nine = THREE_DIGITS[millis] + THREE_DIGITS[micros] + THREE_DIGITS[nsec - Math.floor(nsec / 1e3) * 1000];
  return cachedSecText + (digits >= 9 ? nine : nine.slice(0, digits));
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

const ENDPOINT_SLOTS = 256;

/**
 * formatEndpoint for every message, remembering recent results: a capture holds few endpoints,
 * and one string per endpoint (instead of one per message) is also what the analysis keys on.
 * The address text alone says its version (IPv6 text has colons, IPv4 text none).
 */
export class EndpointTexts {
  private readonly ips: string[] = new Array<string>(ENDPOINT_SLOTS).fill('');
  private readonly ports = new Int32Array(ENDPOINT_SLOTS).fill(-1);
  private readonly texts: string[] = new Array<string>(ENDPOINT_SLOTS).fill('');

  text(ip: string, port: number, version: IpVersion): string {
    const slot = (port ^ (ip.length << 4) ^ ip.charCodeAt(ip.length - 1)) & (ENDPOINT_SLOTS - 1);
    if (this.ports[slot] === port && this.ips[slot] === ip) return this.texts[slot];
    const text = formatEndpoint(ip, port, version);
    this.ips[slot] = ip;
    this.ports[slot] = port;
    this.texts[slot] = text;
    return text;
  }
}
