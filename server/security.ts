// HTTP hardening: security headers (helmet) with a strict Content-Security-Policy, a token
// bucket per client address that slows down anyone guessing share tokens, a timeout for
// request bodies that stall, and JSON answers to requests Node's HTTP parser refuses.
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
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

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * A request body that stalls (the client sent part of it, then nothing) is answered 408 once
 * nothing has arrived for `ms`, and its connection is closed. A stalled upload thus holds no
 * connection and no upload slot, and leaves nothing behind: its handler sees the request end
 * incomplete and discards what it had received. Time spent answering is not limited.
 */
export function bodyTimeout(ms: number): RequestHandler {
  return (req, res, next) => {
    if (req.complete || !hasBody(req)) {
      next();
      return;
    }
    const onTimeout = () => {
      // Once the answer is out and the connection closed, whatever reads the body (an upload,
      // the JSON parser) is told the request was cut off: Node tells it nothing once answered.
      req.socket.once('close', () => req.destroy());
      if (res.headersSent) {
        req.socket.destroy();
        return;
      }
      res.status(408).set('Connection', 'close').json({ error: `the request body stalled: nothing received for ${ms / 1000} s` });
    };
    req.setTimeout(ms, onTimeout);
    req.once('end', () => {
      req.off('timeout', onTimeout);
      req.socket.setTimeout(0);
    });
    next();
  };
}

/**
 * Answers, in JSON like every other error, what Node's HTTP parser refuses before the app sees
 * it: a request line and headers over `maxHeaderBytes` (a 100 kB query string, say), headers
 * that take too long to arrive (headersTimeout), malformed HTTP. For server.on('clientError').
 */
export function clientErrorAnswer(maxHeaderBytes: number): (err: Error & { code?: string }, socket: Duplex) => void {
  return (err, socket) => {
    // A response already under way on this connection cannot be followed by another.
    const inProgress = (socket as Duplex & { _httpMessage?: { headersSent: boolean } })._httpMessage?.headersSent === true;
    if (err.code === 'ECONNRESET' || !socket.writable || inProgress) {
      socket.destroy();
      return;
    }
    const [status, reason] = err.code === 'HPE_HEADER_OVERFLOW' ? [400, `the request line and headers are longer than ${maxHeaderBytes} bytes`]
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'the request headers took too long to arrive']
        : [400, 'malformed HTTP request'];
    const body = JSON.stringify({ error: reason });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n`
      + `Content-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}
