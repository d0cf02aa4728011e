// Classic pcap (pcap-savefile(5), draft-ietf-opsawg-pcap): a 24-byte file header, then records
// of a 16-byte header (ts_sec, ts_usec or ts_nsec, caplen, len) and caplen bytes of packet.
//
// Records carry no sync marker, so a broken caplen would derail everything after it. The walk
// therefore checks each header cheaply; a header that is odd in any way (caplen above len or
// snaplen, a fraction of a second out of range, a jump in time) is accepted only when the
// next record's time follows it. A header that fails is reported once, and the reader scans
// forward byte by byte for the next plausible header (caplen within len and the snap length,
// close in time to the last packet) that is itself followed by a record starting close to it
// in time (or by the end of the input).
import type { Timestamp } from '../model.js';
import { Damage, type PacketEmitter, type RecordReader, u32 } from './record-reader.js';
import { PCAP_MAGIC_NSEC, PCAP_MAGIC_USEC } from './sniff.js';

const FILE_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;
/** Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD: a larger caplen is a corrupt record. */
export const MAX_CAPLEN = 262144;
/** A wire length above this is not a packet (plausibility check only). */
const MAX_ORIGLEN = 16 * 1024 * 1024;
/** Consecutive plausible records are at most this far apart in time (seconds). */
const RESYNC_TIME_WINDOW = 7 * 24 * 3600;

export class PcapReader implements RecordReader {
  need = FILE_HEADER_LENGTH;
  private headerRead = false;
  private le = true;
  private readonly digits: number;
  /** 10^6 or 10^9: a fraction of a second must be below it. */
  private readonly fracLimit: number;
  private readonly nsecPerUnit: number;
  /**
   * The file header's snap length, while no packet has contradicted it (some writers put a
   * wrong one in the header); 0 when absent or disproved.
   */
  private snaplen = 0;
  private linkType = 0;
  /** Seconds of the last delivered packet, -1 before the first. */
  private lastSec = -1;
  /**
   * Before the first packet: seconds of the last record header read, when its fraction is in
   * range (-1 when not). A damaged first record's own time, which a broken length leaves intact,
   * is then the only time a resync can compare candidates with.
   */
  private headerSec = -1;
  private damage: Damage | null = null;

  constructor(
    private readonly emitter: PacketEmitter,
    nanosecond: boolean,
  ) {
    this.digits = nanosecond ? 9 : 6;
    this.fracLimit = nanosecond ? 1e9 : 1e6;
    this.nsecPerUnit = nanosecond ? 1 : 1000;
  }

  parse(buf: Buffer, pos: number, end: number, base: number, eof: boolean): number {
    if (!this.headerRead) {
      if (end - pos < FILE_HEADER_LENGTH) {
        if (!eof) return this.wait(pos, FILE_HEADER_LENGTH);
        this.emitter.warning(base + pos, null, `the capture ends inside the pcap file header (${end - pos} of ${FILE_HEADER_LENGTH} bytes)`);
        return end;
      }
      this.readFileHeader(buf, pos);
      pos += FILE_HEADER_LENGTH;
    }
    const le = this.le;
    for (;;) {
      if (this.damage !== null) {
        pos = this.scan(buf, pos, end, base, eof);
        if (this.damage !== null) return pos;
      }
      const avail = end - pos;
      if (avail < RECORD_HEADER_LENGTH) {
        if (!eof) return this.wait(pos, RECORD_HEADER_LENGTH);
        if (avail > 0) {
          this.damage = this.newDamage(base + pos, `the capture ends inside the record header (${avail} of ${RECORD_HEADER_LENGTH} bytes)`, true);
        }
        return end;
      }
      const sec = u32(buf, pos, le);
      const frac = u32(buf, pos + 4, le);
      const caplen = u32(buf, pos + 8, le);
      const len = u32(buf, pos + 12, le);
      if (this.lastSec < 0) this.headerSec = frac < this.fracLimit ? sec : -1;
      if (caplen > MAX_CAPLEN) {
        this.damage = this.newDamage(base + pos, `caplen ${caplen} exceeds the maximum ${MAX_CAPLEN}`, false);
        pos++;
        continue;
      }
      const next = pos + RECORD_HEADER_LENGTH + caplen;
      if (next > end) {
        if (!eof) return this.wait(pos, RECORD_HEADER_LENGTH + caplen);
        this.damage = this.newDamage(
          base + pos,
          `the record needs ${RECORD_HEADER_LENGTH + caplen} bytes but the capture ends after ${avail}`,
          true,
        );
        pos++;
        continue;
      }
      if (this.isOdd(sec, frac, caplen, len)) {
        if (end - next >= RECORD_HEADER_LENGTH) {
          if (!this.startsRecord(buf, next, sec)) {
            this.damage = this.newDamage(base + pos, `implausible record (caplen ${caplen}, length ${len}): no record header follows it`, false);
            pos++;
            continue;
          }
        } else if (!eof) {
          return this.wait(pos, RECORD_HEADER_LENGTH + caplen + RECORD_HEADER_LENGTH);
        }
      }
      this.emitter.packet(
        this.timestamp(sec, frac),
        this.linkType,
        buf,
        pos + RECORD_HEADER_LENGTH,
        next,
        len,
        base + pos,
        0,
        undefined,
      );
      this.lastSec = sec;
      if (caplen > this.snaplen) this.snaplen = 0;
      pos = next;
    }
  }

  finish(endOffset: number): void {
    if (this.damage !== null) this.damage.unresolvedAtEnd(this.emitter, endOffset);
    this.damage = null;
  }

  private wait(pos: number, need: number): number {
    this.need = need;
    return pos;
  }

  private readFileHeader(buf: Buffer, pos: number): void {
    this.headerRead = true;
    const magicLE = buf.readUInt32LE(pos);
    this.le = magicLE === PCAP_MAGIC_USEC || magicLE === PCAP_MAGIC_NSEC;
    this.snaplen = u32(buf, pos + 16, this.le);
    // LinkType and additional information: the link type is the low 16 bits; the high bits
    // carry the FCS length (draft-ietf-opsawg-pcap section 4).
    this.linkType = u32(buf, pos + 20, this.le) & 0xffff;
    this.emitter.addLinkType(this.linkType);
  }

  private newDamage(offset: number, problem: string, cutShort: boolean): Damage {
    return new Damage(offset, this.emitter.frames + 1, 'pcap record', problem, cutShort);
  }

  /**
   * Anything a writer would not produce: caplen above len; caplen above the snap length, or
   * below len without being the snap length; a fraction of a second out of range; a jump of
   * more than the resync window from the previous packet.
   */
  private isOdd(sec: number, frac: number, caplen: number, len: number): boolean {
    if (frac >= this.fracLimit || caplen > len) return true;
    const snaplen = this.snaplen;
    if (snaplen > 0 && (caplen > snaplen || (caplen < len && caplen !== snaplen))) return true;
    return this.lastSec >= 0 && Math.abs(sec - this.lastSec) > RESYNC_TIME_WINDOW;
  }

  /**
   * Whether an odd record's length is right: the bytes after it start with a record time (a
   * fraction in range, seconds close to this record's or the last good one's). Only the time
   * is looked at: if the next record's lengths are broken, that record is the damaged one.
   */
  private startsRecord(buf: Buffer, pos: number, sec: number): boolean {
    if (u32(buf, pos + 4, this.le) >= this.fracLimit) return false;
    return this.nearInTime(buf, pos, sec) || this.nearInTime(buf, pos, this.lastSec);
  }

  /**
   * A record header a writer could have produced (time aside). A record without a single
   * captured byte is not one: runs of zeros in packet data (IPv6 addresses, padding) would
   * otherwise chain into false records of caplen 0.
   */
  private isPlausibleHeader(buf: Buffer, pos: number): boolean {
    const le = this.le;
    const caplen = u32(buf, pos + 8, le);
    const len = u32(buf, pos + 12, le);
    if (u32(buf, pos + 4, le) >= this.fracLimit) return false;
    if (caplen === 0 || caplen > MAX_CAPLEN || caplen > len || len === 0 || len > MAX_ORIGLEN) return false;
    return this.snaplen === 0 || caplen <= this.snaplen;
  }

  private nearInTime(buf: Buffer, pos: number, refSec: number): boolean {
    return refSec >= 0 && Math.abs(u32(buf, pos, this.le) - refSec) <= RESYNC_TIME_WINDOW;
  }

  /**
   * Looks for the next record from `pos` on: a plausible header close in time to the last good
   * packet, followed by a record that starts close to it in time (see confirms), or by exactly
   * the end of input.
   * Before the first packet the damaged record's own time stands in for the last packet's; when
   * that is out of range too there is no time to compare with, and the end of input does not
   * count as confirmation.
   */
  private scan(buf: Buffer, pos: number, end: number, base: number, eof: boolean): number {
    const damage = this.damage!;
    const reference = this.lastSec >= 0 ? this.lastSec : this.headerSec;
    for (; ; pos++) {
      if (end - pos < RECORD_HEADER_LENGTH) return eof ? end : this.wait(pos, RECORD_HEADER_LENGTH);
      if (!this.isPlausibleHeader(buf, pos)) continue;
      if (reference >= 0 && !this.nearInTime(buf, pos, reference)) continue;
      const next = pos + RECORD_HEADER_LENGTH + u32(buf, pos + 8, this.le);
      if (end - next < RECORD_HEADER_LENGTH) {
        if (!eof) return this.wait(pos, next + RECORD_HEADER_LENGTH - pos);
        if (next !== end || reference < 0) continue;
      } else if (!this.confirms(buf, next, pos, reference)) {
        continue;
      }
      damage.resolvedAt(this.emitter, base + pos);
      this.damage = null;
      return pos;
    }
  }

  /**
   * Whether the header at `next` confirms the resync candidate at `candidate`: it starts at the
   * candidate's time. When the candidate was itself close to a reference time, the next
   * record's time alone confirms it (its lengths may be the next damage, as in startsRecord: an
   * intact record between two damaged ones is kept); without a reference the next header must
   * be plausible whole.
   */
  private confirms(buf: Buffer, next: number, candidate: number, reference: number): boolean {
    if (!this.nearInTime(buf, next, u32(buf, candidate, this.le))) return false;
    if (reference >= 0) return u32(buf, next + 4, this.le) < this.fracLimit;
    return this.isPlausibleHeader(buf, next);
  }

  private timestamp(sec: number, frac: number): Timestamp {
    if (frac >= this.fracLimit) {
      // Out of range (an odd record that was accepted): carry whole seconds over.
      sec += Math.floor(frac / this.fracLimit);
      frac %= this.fracLimit;
    }
    return { sec, nsec: frac * this.nsecPerUnit, digits: this.digits };
  }
}
