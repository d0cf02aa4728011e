// Text forms of IP addresses, made once per emitted datagram (never per packet on the hot path).
//
// The forms must equal what tshark prints, because messages are matched against its output:
// dotted quad for IPv4, and for IPv6 the RFC 5952 form as glibc's inet_ntop writes it (tshark
// prints addresses through it): lowercase hex without leading zeros, the longest run of two or
// more zero groups written "::" (the first such run on a tie), and the last 32 bits as a dotted
// quad for IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses.

/** Most captures hold a handful of hosts; past this many distinct IPv4 addresses the cache starts over. */
const IPV4_CACHE_LIMIT = 4096;

/** Remembers the dotted-quad text of IPv4 addresses by their 32-bit value. */
export class Ipv4TextCache {
  private readonly texts = new Map<number, string>();
  /** The last two addresses asked for (a datagram's source and destination), checked before the map. */
  private readonly recentValues = [-1, -1];
  private readonly recentTexts = ['', ''];
  private nextRecent = 0;

  /** Dotted-quad text of the 4 bytes at `offset`. */
  format(buf: Buffer, offset: number): string {
    const value = ((buf[offset] << 24) | (buf[offset + 1] << 16) | (buf[offset + 2] << 8) | buf[offset + 3]) >>> 0;
    if (value === this.recentValues[0]) return this.recentTexts[0];
    if (value === this.recentValues[1]) return this.recentTexts[1];
    const text = this.lookup(buf, offset, value);
    this.recentValues[this.nextRecent] = value;
    this.recentTexts[this.nextRecent] = text;
    this.nextRecent ^= 1;
    return text;
  }

  private lookup(buf: Buffer, offset: number, value: number): string {
    let text = this.texts.get(value);
    if (text === undefined) {
      text = `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
      if (this.texts.size >= IPV4_CACHE_LIMIT) this.texts.clear();
      this.texts.set(value, text);
    }
    return text;
  }
}

/** RFC 5952 text of the 16-byte IPv6 address at `offset`, exactly as glibc's inet_ntop writes it. */
export function formatIpv6(buf: Buffer, offset: number): string {
  // Longest run of zero groups (first on a tie); RFC 5952 §4.2.2: a single 0 group is not shortened.
  let bestStart = -1;
  let bestLength = 0;
  let runStart = -1;
  for (let group = 0; group < 8; group++) {
    if (buf.readUInt16BE(offset + group * 2) === 0) {
      if (runStart < 0) runStart = group;
      const runLength = group - runStart + 1;
      if (runLength > bestLength) {
        bestStart = runStart;
        bestLength = runLength;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestLength < 2) {
    bestStart = -1;
    bestLength = 0;
  }

  // An IPv4 address embedded in the last 32 bits: ::a.b.c.d (compatible) and ::ffff:a.b.c.d (mapped).
  const embedsIpv4 =
    bestStart === 0 && (bestLength === 6 || (bestLength === 5 && buf.readUInt16BE(offset + 10) === 0xffff));

  let text = '';
  const hexGroups = embedsIpv4 ? 6 : 8;
  for (let group = 0; group < hexGroups; group++) {
    if (group === bestStart) {
      text += '::';
      group += bestLength - 1;
      continue;
    }
    if (group > 0 && group !== bestStart + bestLength) text += ':';
    text += buf.readUInt16BE(offset + group * 2).toString(16);
  }
  if (embedsIpv4) {
    if (!text.endsWith(':')) text += ':';
    text += `${buf[offset + 12]}.${buf[offset + 13]}.${buf[offset + 14]}.${buf[offset + 15]}`;
  }
  return text;
}
