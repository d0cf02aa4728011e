// HTTP hardening: security headers (helmet) with a strict Content-Security-Policy, and a
// token bucket per client address that slows down anyone guessing share tokens.
import helmet from 'helmet';
import type { RequestHandler } from 'express';

/**
 * No inline script or style anywhere (the page's D3 sets styles through the CSSOM, which CSP
 * does not restrict), nothing loaded from elsewhere, never framed, no Referer leaking share
 * tokens to other sites.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
  });
}

export interface TokenBucketOptions {
  /** Misses allowed in a burst. */
  capacity: number;
  /** Misses forgiven per second. */
  refillPerSecond: number;
  /** Clients tracked at most (the oldest are forgotten beyond). */
  maxClients?: number;
}

/** A token bucket per key (client IP), in memory: enough for one server process. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly maxClients: number;

  constructor(private readonly options: TokenBucketOptions, private readonly now: () => number = Date.now) {
    this.maxClients = options.maxClients ?? 10_000;
  }

  private refilled(key: string): { tokens: number; at: number } {
    const now = this.now();
    const bucket = this.buckets.get(key);
    if (!bucket) return { tokens: this.options.capacity, at: now };
    const tokens = Math.min(this.options.capacity, bucket.tokens + ((now - bucket.at) / 1000) * this.options.refillPerSecond);
    return { tokens, at: now };
  }

  /** Seconds until `key` may try again, or 0 when it may now. */
  waitSeconds(key: string): number {
    const bucket = this.refilled(key);
    return bucket.tokens >= 1 ? 0 : Math.ceil((1 - bucket.tokens) / this.options.refillPerSecond);
  }

  /** Takes one token from `key`'s bucket. */
  take(key: string): void {
    const bucket = this.refilled(key);
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxClients) this.buckets.delete(this.buckets.keys().next().value!);
  }
}
