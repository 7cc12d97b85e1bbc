import { clientAddress as platformClientAddress } from '../platform/http.js';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Context, MiddlewareHandler } from 'hono';
import { alreadyLimited, noteLimiter } from './fastpath.js';

/**
 * Per-address rate limit for everything public (site, feeds, embeds, API): a token bucket per client address,
 * refilled continuously. The address comes from the socket, never from a header a client could forge. Over the
 * limit: 429 with Retry-After and a message saying when to come back. Addresses are kept in memory only.
 */
export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    readonly perMinute: number,
    readonly burst: number = Math.max(10, Math.ceil(perMinute / 2)),
  ) {}
  /** Seconds to wait, or 0 when the request may go ahead. */
  take(key: string, now = Date.now()): number {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size > 100_000) this.buckets.clear();
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.perMinute) / 60_000);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - b.tokens) * 60_000) / this.perMinute / 1000));
  }
}

/**
 * The caller's address, by the platform's one rule: X-Forwarded-For is believed only from the configured proxies
 * (STACKWATCH_TRUSTED_PROXIES as the server's configuration read it; the app puts the list on every request).
 */
export function clientAddress(c: Context): string {
  return platformClientAddress(c, trustedProxiesOf(c));
}

/** The configured reverse proxies the app put on this request (none when the app was built without them). */
export function trustedProxiesOf(c: Context): readonly string[] {
  return (c.get('trustedProxies') as readonly string[] | undefined) ?? [];
}

export function rateLimit(limiter: RateLimiter, kind: 'html' | 'json'): MiddlewareHandler {
  return async (c, next) => {
    // The fast path (fastpath.ts) may have taken this request's token already and found none.
    const wait = alreadyLimited(c) ?? limiter.take(clientAddress(c));
    noteLimiter(c, limiter);
    if (wait) {
      c.header('Retry-After', String(wait));
      const msg = `Too many requests from your address: at most ${limiter.perMinute} a minute. Try again in ${wait} s.`;
      if (kind === 'json') return c.json({ error: { code: 'too_many_requests', message: msg } }, 429);
      return c.html(`<!doctype html><meta charset="utf-8"><title>429</title><h1>Too many requests</h1><p>${msg}</p>`, 429);
    }
    await next();
  };
}

/** Whether an If-None-Match header names this ETag (the full path and the fast path answer 304 by this one rule). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  return !!ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === etag);
}

/** Strong ETag of a body; answers 304 when the client already has it. Public bodies revalidate on every use. */
export function withEtag(c: Context, body: string | Uint8Array, type: string, status = 200): Response {
  const tag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  c.header('ETag', tag);
  c.header('Cache-Control', 'no-cache');
  c.header('Vary', 'Accept-Encoding');
  if (etagMatches(c.req.header('if-none-match'), tag)) return c.body(null, 304);
  c.header('Content-Type', type);
  return c.body(body as string, status as 200);
}

/**
 * A rendered public body, kept with its ETag and its gzip form so that a cached page costs no work per request.
 * Compressed once per registry generation, so at the highest level (a few percent smaller than the default).
 */
export interface PreparedBody { buf: Buffer; gz: Buffer | null; etag: string; type: string }

export function prepare(body: string | Uint8Array, type: string): PreparedBody {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const etag = `"${createHash('sha256').update(buf).digest('base64url').slice(0, 27)}"`;
  return { buf, gz: buf.length > 1024 && !type.startsWith('application/pdf') ? gzipSync(buf, { level: 9 }) : null, etag, type };
}

export function sendPrepared(c: Context, p: PreparedBody, status = 200): Response {
  c.header('ETag', p.etag);
  c.header('Cache-Control', 'no-cache');
  c.header('Vary', 'Accept-Encoding');
  if (etagMatches(c.req.header('if-none-match'), p.etag)) return c.body(null, 304);
  c.header('Content-Type', p.type);
  if (p.gz && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
    c.header('Content-Encoding', 'gzip');
    return c.body(p.gz as unknown as string, status as 200);
  }
  return c.body(p.buf as unknown as string, status as 200);
}
