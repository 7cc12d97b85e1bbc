import { serveStatic } from '@hono/node-server/serve-static';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { withRequestTicket, withWritePriority, type Db } from './platform/db.js';
import type { Logger } from './platform/log.js';
import { authMiddleware, errorResponse, inputGuard, limitBody, newRouter, type App } from './platform/http.js';
import { platformRoutes } from './platform/routes.js';
import { incidentRoutes } from './incidents/routes.js';
import { REPO_ROOT } from './platform/config.js';
import { apiDocsHtml, apiDocsScript } from './platform/api-docs.js';
import { wingRoutes } from './wings.js';
import { reportPages } from './desk/report-page.js';
import { publicSite } from './publish/site.js';
import { rememberFast } from './publish/fastpath.js';

export interface AppOptions {
  db: Db;
  log: Logger;
  secureCookies?: boolean;
  webDir?: string;
  /** Reverse proxies whose X-Forwarded-For is believed (see clientAddress). */
  trustedProxies?: string[];
}

/** Composes the wings' routes into one app: the API under /api, the console at /. */
export function buildApp(opts: AppOptions): App {
  const app = newRouter();
  app.onError((err, c) => errorResponse(err, c, opts.log));
  app.use('*', async (c, next) => {
    c.set('db', opts.db);
    c.set('log', opts.log);
    c.set('trustedProxies', opts.trustedProxies ?? []);
    const started = performance.now();
    await next();
    // Set on the finished response's headers in place: Hono's c.header() after next() rebuilds the response around a
    // stream of its body, which takes @hono/node-server off its fast path for every request (publish: bench/publish.ts).
    const header = (k: string, v: string) => {
      try {
        c.res.headers.set(k, v);
      } catch {
        c.header(k, v); // immutable headers (a fetched or redirect Response): rebuild as before
      }
    };
    header('X-Content-Type-Options', 'nosniff');
    header('Referrer-Policy', 'no-referrer');
    // Embeds are made to be framed; a route that sets its own rule (the public map: this site only) keeps it.
    if (!c.req.path.startsWith('/public/embed/') && !c.res.headers.get('X-Frame-Options')) header('X-Frame-Options', 'DENY');
    header('Cross-Origin-Opener-Policy', 'same-origin');
    if (!c.res.headers.get('Content-Security-Policy')) {
      header('Content-Security-Policy', "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    }
    if (c.req.path.startsWith('/api/') && !c.req.path.startsWith('/api/public/')) header('Cache-Control', 'no-store'); // the public API revalidates with ETags
    rememberFast(c, opts.db); // a cached public answer, with these headers, for the fast path (publish/fastpath.ts)
    // Paths only: query strings can carry search terms about people at risk, so they are not logged.
    opts.log.debug('request', { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) });
  });
  app.use('/api/*', limitBody());
  app.use('/api/*', inputGuard());
  // The embedded database's one connection serves the oldest request first, writes (every method but GET/HEAD) with a lead.
  app.use('/api/*', (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? withRequestTicket(next) : withWritePriority(next)));
  app.use('/api/*', authMiddleware());

  const api = newRouter();
  api.route('/', platformRoutes({ secureCookies: opts.secureCookies ?? false, trustedProxies: opts.trustedProxies }));
  api.route('/', incidentRoutes());
  for (const r of wingRoutes()) api.route('/', r);
  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Stackwatch API', version: '0.1.0', description: 'Incident registry, legislation tracker and the wings of Stackwatch. Authenticate with the session cookie (plus X-CSRF-Token on writes) or `Authorization: Bearer <API token>`.' },
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  api.get('/docs', (c) => c.html(apiDocsHtml()));
  api.get('/docs.js', (c) => c.body(apiDocsScript, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.route('/api', api);
  app.all('/api/*', (c) => c.json({ error: { code: 'not_found', message: `No API route ${c.req.method} ${c.req.path}.` } }, 404));
  app.route('/', reportPages()); // the desk's public reporting page (/report), server-rendered, works without JavaScript

  app.route('/', publicSite()); // the public site under /public (publish wing)

  const webDir = opts.webDir ?? join(REPO_ROOT, 'web', 'dist');
  if (existsSync(join(webDir, 'index.html'))) {
    const root = relative(process.cwd(), webDir) || '.';
    app.use('/assets/*', serveStatic({ root, onFound: (_p, c) => { c.header('Cache-Control', 'public, max-age=31536000, immutable'); } }));
    app.use('*', serveStatic({ root }));
    const index = readFileSync(join(webDir, 'index.html'), 'utf8');
    app.get('*', (c) => c.html(index));
  } else {
    app.get('/', (c) =>
      c.html('<!doctype html><meta charset="utf-8"><title>Stackwatch</title><p>The console has not been built. Run <code>npm run build:web</code> (npm start does it), or use the API: <a href="/api/docs">/api/docs</a>.</p>'),
    );
  }
  return app;
}
