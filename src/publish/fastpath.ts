import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';
import type { Db } from '../platform/db.js';
import { addressOf } from '../platform/http.js';
import { etagMatches, trustedProxiesOf, type PreparedBody, type RateLimiter } from './guard.js';

/**
 * The fast path of the public site: a public answer that is already cached (a page, a public API list) is written
 * straight to the socket, before the request is turned into a Fetch Request and walks the router and the middleware
 * stack. It is an index over answers the full path has produced, not a second cache of the data:
 *
 *  - an answer gets here only after the full path served it (status 200, GET) and marked it cacheable (`markFast`),
 *    with the response headers that path set (security headers, CORS, ETag, Cache-Control) kept verbatim;
 *  - it is keyed by host and request target (path and query string as sent), and it is valid only while the
 *    registry's write generation is the one it was rendered under (`Db.registryGeneration`: any write to the
 *    registry, to what an organisation publishes or to its name moves it), and, for a page that also shows other
 *    wings' data, until its refresh is due. A record that stops being TLP:CLEAR moves the generation in the statement
 *    that changes it, so the next request already misses here and is rendered afresh;
 *  - the rate limit of the path is applied here too, with the same bucket; a request over it goes on to the full
 *    path (marked as already counted), which answers 429 as before;
 *  - an answer that sets a cookie is never kept (it belongs to one client);
 *  - anything unusual goes the full path: another method, an Authorization header (a bad token must still get 401),
 *    an Accept-Encoding that asks for something other than gzip, an answer the full path compressed on the fly.
 *
 * The answer is byte for byte what the full path would send (gzip form or plain, or 304 for a matching
 * If-None-Match), so clients cannot tell which path served them.
 */

interface Entry {
  body: PreparedBody;
  /** The full path's response headers, minus those that depend on the encoding. */
  headers: [string, string][];
  generation: number;
  /** Date.now() after which the entry is no longer used (pages with data refreshed in the background). */
  until: number;
  limiter: RateLimiter;
  /** The reverse proxies the app trusts, as it had them when the answer was remembered. */
  trusted: readonly string[];
}

interface Mark {
  body: PreparedBody;
  generation: number | null;
  until: number;
}

/** As many answers as the registry's read cache keeps (store.ts); all of one generation (older ones are dropped). */
const MAX_ENTRIES = 1000;
const entries = new WeakMap<Db, { generation: number; map: Map<string, Entry> }>();
const marks = new WeakMap<Context, Mark>();
const limiters = new WeakMap<Context, RateLimiter[]>();
/** Set on a request whose rate-limit token the fast path already took (and found none): the wait in seconds. */
export const LIMITED = Symbol('stackwatch.publicRateLimited');

/**
 * Marks the answer being built as one the fast path may serve again: `generation` is the registry generation read
 * before its data was read (null: never), `until` when it stops being usable (Infinity: while the generation holds).
 */
export function markFast(c: Context, body: PreparedBody, generation: number | null, until = Infinity): void {
  if (c.req.method === 'GET' && generation != null) marks.set(c, { body, generation, until });
}

/** Called by the public rate limit middleware: the bucket that counted this request. */
export function noteLimiter(c: Context, limiter: RateLimiter): void {
  const l = limiters.get(c);
  if (l) l.push(limiter);
  else limiters.set(c, [limiter]);
}

/** The wait the fast path already found for this request (it took the token), if any. */
export function alreadyLimited(c: Context): number | undefined {
  return ((c.env as { incoming?: IncomingMessage & { [LIMITED]?: number } } | undefined)?.incoming)?.[LIMITED];
}

function keyOf(host: string | undefined, target: string | undefined): string {
  return `${host ?? ''} ${target ?? ''}`;
}

/** After the full path has finished a response (its last headers set): keep it for the fast path when it was marked. */
export function rememberFast(c: Context, db: Db): void {
  const m = marks.get(c);
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!m || m.generation == null || !incoming?.url) return; // not served by Node's HTTP server (app.request in tests)
  const l = limiters.get(c);
  if (c.res.status !== 200 || !l || l.length !== 1) return;
  // An answer that sets a cookie belongs to one client: replaying it to everyone would hand out that client's cookie.
  if (c.res.headers.has('set-cookie')) return;
  const enc = c.res.headers.get('content-encoding');
  if (enc && !(enc === 'gzip' && m.body.gz)) return; // compressed on the fly: not one of the prepared forms
  if (m.generation !== db.registryGeneration || m.until <= Date.now()) return;
  const headers: [string, string][] = [];
  c.res.headers.forEach((v, k) => {
    if (k !== 'content-encoding' && k !== 'content-length' && k !== 'transfer-encoding') headers.push([k, v]);
  });
  let held = entries.get(db);
  if (!held || held.generation !== m.generation) entries.set(db, (held = { generation: m.generation, map: new Map() }));
  const map = held.map;
  // full: the oldest answer goes (a client asking for many distinct URLs cannot empty it for everyone at once)
  if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value!);
  map.set(keyOf(incoming.headers.host, incoming.url), { body: m.body, headers, generation: m.generation, until: m.until, limiter: l[0]!, trusted: trustedProxiesOf(c) });
}

const hits = new WeakMap<Db, { hits: number }>();
/** How many answers the fast path has written for this database's server (health checks, tests). */
export function fastPathHits(db: Db): number {
  return hits.get(db)?.hits ?? 0;
}

/**
 * Wraps the server's request listener: answers from the fast path when it can, otherwise hands the request on.
 */
export function publicFastPath(db: Db, next: (req: IncomingMessage, res: ServerResponse) => unknown) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method === 'GET' && !req.headers.authorization && (req.url?.startsWith('/public/') || req.url?.startsWith('/api/public/'))) {
      const held = entries.get(db);
      const key = keyOf(req.headers.host, req.url);
      const e = held?.map.get(key);
      if (held && held.generation !== db.registryGeneration) entries.delete(db); // the registry moved on: all of them go
      else if (e) {
        if (e.generation !== db.registryGeneration || e.until <= Date.now()) held!.map.delete(key);
        else if (serve(e, req, res)) {
          const h = hits.get(db);
          if (h) h.hits++;
          else hits.set(db, { hits: 1 });
          return;
        }
      }
    }
    void next(req, res);
  };
}

function serve(e: Entry, req: IncomingMessage, res: ServerResponse): boolean {
  const ae = req.headers['accept-encoding'];
  const gzip = typeof ae === 'string' && /\bgzip\b/.test(ae);
  if (ae !== undefined && !gzip && ae.trim() !== '' && ae.trim() !== 'identity') return false; // deflate, br only…: full path
  const forwarded = req.headers['x-forwarded-for'];
  const wait = e.limiter.take(addressOf(req.socket.remoteAddress, Array.isArray(forwarded) ? forwarded.join(',') : forwarded, e.trusted));
  if (wait) {
    (req as IncomingMessage & { [LIMITED]?: number })[LIMITED] = wait;
    return false;
  }
  if (etagMatches(req.headers['if-none-match'], e.body.etag)) {
    res.writeHead(304, e.headers.filter(([k]) => k !== 'content-type').flat());
    res.end();
    return true;
  }
  const buf = gzip && e.body.gz ? e.body.gz : e.body.buf;
  const headers = e.headers.flat();
  if (buf === e.body.gz) headers.push('content-encoding', 'gzip');
  headers.push('content-length', String(buf.length));
  res.writeHead(200, headers);
  res.end(buf);
  return true;
}
