// Share links: bearer tokens of 256 random bits, stored only as their sha256 (a copy of the
// database gives no working link). Unknown, expired and revoked tokens are answered alike,
// and each such miss costs the client a token of its rate-limit bucket.
import { createHash, randomBytes } from 'node:crypto';
import type { ShareRecord, Store } from './store/Store.js';
import { TokenBuckets } from './security.js';
import { HttpError, TOKEN_PATTERN } from './validation.js';
import { ShareAnonymizer } from './views.js';

const TOKEN_BYTES = 32;
const SECRET_BYTES = 32;
/** Anonymisers kept in memory (their pseudonym tables make repeated requests cheap). */
const ANONYMIZER_CACHE_SIZE = 32;
/** What every miss answers, so that nothing tells unknown, expired and revoked apart. */
export const SHARE_NOT_FOUND = 'not found';

export function newShareToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

export function newShareSecret(): Buffer {
  return randomBytes(SECRET_BYTES);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class ShareResolver {
  private readonly anonymizers = new Map<string, ShareAnonymizer>();

  constructor(private readonly store: Store, private readonly misses: TokenBuckets) {}

  /** The live share behind `token`, or a 404 (429 while the client has missed too often). */
  async resolve(token: string, client: string): Promise<ShareRecord> {
    const wait = this.misses.waitSeconds(client);
    if (wait > 0) throw new HttpError(429, 'too many unknown share links; try again later', { 'Retry-After': String(wait) });
    const share = TOKEN_PATTERN.test(token) ? await this.store.share(hashToken(token)) : null;
    const live = share !== null && share.revokedAt === null && (share.expiresAt === null || Date.parse(share.expiresAt) > Date.now());
    if (!live) {
      this.misses.take(client);
      throw new HttpError(404, SHARE_NOT_FOUND);
    }
    return share;
  }

  /** The pseudonym state of an anonymised share (kept for the next requests). */
  anonymizer(share: ShareRecord): ShareAnonymizer {
    let a = this.anonymizers.get(share.tokenHash);
    if (a) {
      this.anonymizers.delete(share.tokenHash);
    } else {
      a = new ShareAnonymizer(share.secret);
      if (this.anonymizers.size >= ANONYMIZER_CACHE_SIZE) this.anonymizers.delete(this.anonymizers.keys().next().value!);
    }
    this.anonymizers.set(share.tokenHash, a);
    return a;
  }

  forget(tokenHash: string): void {
    this.anonymizers.delete(tokenHash);
  }
}
