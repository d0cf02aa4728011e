// The SDP media a call keeps: the latest offer or answer of each sender (RFC 3264), for the
// call's `media` and for guessing B2BUA legs. Codec lists and addresses are shared between
// calls, and nothing refers into a message's SDP text.
import type { SdpMedia } from '../model.js';
import { detached, Interner } from './message-log.js';

/** Distinct lists kept for sharing before starting over (sharing is never needed). */
const SHARED_LIST_LIMIT = 1 << 12;
/** Lists with the same first value compared before giving up on sharing. */
const CANDIDATES_LIMIT = 16;

/** The o= line without its session version (which changes with every new offer): one key per SDP sender, else the source address. */
export function sdpSenderKey(origin: string | null, src: string): string {
  if (origin === null) return src;
  // the fields are separated by single spaces: drop the third (<sess-version>, RFC 4566 §5.2)
  const second = secondSpace(origin);
  if (second < 0) return detached(origin);
  const third = origin.indexOf(' ', second + 1);
  return third < 0 ? detached(origin.slice(0, second)) : [origin.slice(0, second), origin.slice(third)].join('');
}

function secondSpace(origin: string): number {
  const first = origin.indexOf(' ');
  return first < 0 ? -1 : origin.indexOf(' ', first + 1);
}

/** Whether sdpSenderKey(origin, src) would be `key`, without making that key. */
export function isSenderKey(key: string, origin: string | null, src: string): boolean {
  if (origin === null) return key === src;
  const second = secondSpace(origin);
  if (second < 0) return key === origin;
  const third = origin.indexOf(' ', second + 1);
  const tail = third < 0 ? 0 : origin.length - third;
  if (key.length !== second + tail) return false;
  for (let i = 0; i < second; i++) if (key.charCodeAt(i) !== origin.charCodeAt(i)) return false;
  for (let i = 0; i < tail; i++) if (key.charCodeAt(second + i) !== origin.charCodeAt(third + i)) return false;
  return true;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Everything of a media description but its port and direction. */
function sameShape(a: SdpMedia, b: SdpMedia): boolean {
  return a.media === b.media && a.proto === b.proto && sameList(a.formats, b.formats) && sameList(a.codecs, b.codecs);
}

/** Whether two SDP bodies describe the same media: a retransmission, or a re-offer that changes nothing. */
export function sameMedia(a: readonly SdpMedia[], b: readonly SdpMedia[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.port !== y.port || x.direction !== y.direction || x.address !== y.address || !sameShape(x, y)) return false;
  }
  return true;
}

/** Media descriptions made lately whose parts the next ones may share without a lookup. */
const RECENT_MEDIA = 4;

/**
 * Copies of SDP media that share their repeated parts: codec and format lists, media types,
 * protocols and addresses. (Whole media descriptions hardly repeat: each call has its own ports.)
 */
export class MediaInterner {
  private readonly strings = new Interner();
  /** Lists by their first value (or "" when empty), each a few candidates compared in full. */
  private lists = new Map<string, (readonly string[])[]>();
  private listCount = 0;
  /** The last media made, oldest replaced first: most of a capture's offers and answers repeat one of them but for the port. */
  private readonly recent: SdpMedia[] = [];
  private nextRecent = 0;

  list(values: readonly string[]): readonly string[] {
    const key = values[0] ?? '';
    const candidates = this.lists.get(key);
    if (candidates !== undefined) for (const c of candidates) if (sameList(c, values)) return c;
    if (this.listCount >= SHARED_LIST_LIMIT) {
      this.lists = new Map();
      this.listCount = 0;
    }
    const list = Object.freeze(values.map((v) => this.strings.intern(v)));
    const known = this.lists.get(key);
    if (known === undefined) this.lists.set(key, [list]);
    else if (known.length < CANDIDATES_LIMIT) known.push(list);
    this.listCount++;
    return list;
  }

  /** The media of one SDP body. */
  mediaOf(media: readonly SdpMedia[]): readonly SdpMedia[] {
    return media.map((m) => this.one(m));
  }

  private one(m: SdpMedia): SdpMedia {
    for (const r of this.recent) {
      if (!sameShape(r, m)) continue;
      const address = m.address === r.address ? r.address : this.strings.intern(m.address);
      return { media: r.media, port: m.port, proto: r.proto, formats: r.formats, codecs: r.codecs, address, direction: m.direction };
    }
    const made: SdpMedia = {
      media: this.strings.intern(m.media),
      port: m.port,
      proto: this.strings.intern(m.proto),
      formats: this.list(m.formats) as string[],
      codecs: this.list(m.codecs) as string[],
      address: this.strings.intern(m.address),
      direction: m.direction,
    };
    this.recent[this.nextRecent] = made;
    this.nextRecent = (this.nextRecent + 1) % RECENT_MEDIA;
    return made;
  }
}
