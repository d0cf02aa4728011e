// The SDP media a call keeps: the latest offer or answer of each sender (RFC 3264), for the
// call's `media` and for guessing B2BUA legs. Codec lists and addresses are shared between
// calls, and nothing refers into a message's SDP text.
import type { SdpMedia } from '../model.js';
import { Interner } from './message-log.js';

/** Distinct lists kept for sharing before starting over (sharing is never needed). */
const SHARED_LIST_LIMIT = 1 << 12;
/** Lists with the same first value compared before giving up on sharing. */
const CANDIDATES_LIMIT = 16;

/**
 * A string of its own: joining parts copies their characters, where a slice or a
 * concatenation would keep the message's whole SDP text alive.
 */
function copied(s: string): string {
  return s.length < 2 ? s : [s.slice(0, 1), s.slice(1)].join('');
}

/** The o= line without its session version (which changes with every new offer): one key per SDP sender, else the source address. */
export function sdpSenderKey(origin: string | null, src: string): string {
  if (origin === null) return src;
  // the fields are separated by single spaces: drop the third (<sess-version>, RFC 4566 §5.2)
  const first = origin.indexOf(' ');
  const second = first < 0 ? -1 : origin.indexOf(' ', first + 1);
  if (second < 0) return copied(origin);
  const third = origin.indexOf(' ', second + 1);
  return third < 0 ? copied(origin.slice(0, second)) : [origin.slice(0, second), origin.slice(third)].join('');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Copies of SDP media that share their repeated parts: codec and format lists, media types,
 * protocols and addresses. (Whole media descriptions hardly repeat: each call has its own ports.)
 */
export class MediaInterner {
  private readonly strings = new Interner();
  /** Lists by their first value (or "" when empty), each a few candidates compared in full. */
  private lists = new Map<string, (readonly string[])[]>();
  private listCount = 0;

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
    return {
      media: this.strings.intern(m.media),
      port: m.port,
      proto: this.strings.intern(m.proto),
      formats: this.list(m.formats) as string[],
      codecs: this.list(m.codecs) as string[],
      address: this.strings.intern(m.address),
      direction: m.direction,
    };
  }
}
