import { createRoute, z } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import { errorResponses, newRouter, requireAdmin, type App } from '../platform/http.js';
import { badRequest, notFound } from '../core/errors.js';
import { isCountryCode } from '../core/countries.js';
import { INCIDENT_TYPES } from '../core/taxonomy.js';
import {
  cachedPublic, getPublicIncident, listPublicIncidents, listPublicLaws, publicCountryStats, publicCountryYears, publicStopRows,
} from '../incidents/publishing.js';
import { blockedSites } from '../measure/publishing.js';
import { publicOutageEvents } from '../outages/publishing.js';
import { publicCountryLedger } from '../ledger/publishing.js';
import { PublicFilterSchema, toRegistryFilter } from './model.js';
import { RateLimiter, prepare, rateLimit, sendPrepared, withEtag } from './guard.js';
import { markFast } from './fastpath.js';
import { annualFigures, filterStopRows } from './report.js';
import { latestSnapshot, publicVersions, snapshotNow, snapshotStore } from './snapshot.js';
import { getSettings, siteSettings, updateSettings, PublishSettingsSchema } from './settings.js';
import {
  SUBSCRIBE_LIMIT, alertRuntime, createWebhook, deleteSubscription, deliveryLog, enableWebhook, listSubscriptions, subscribeEmail, EmailSubscribeSchema, WebhookInputSchema,
} from './alerts.js';

/**
 * The public read-only API under /api/public (no sign-in, CORS open, ETags, a per-address rate limit with a clear
 * 429), and the admin routes of the publish wing under /api/publish. Every route says who may call it.
 */

const PUBLIC = { 'x-stackwatch-access': 'public' } as const;
const ADMIN = { 'x-stackwatch-access': 'admin' } as const;
const Any = z.any();
const json = (description = 'OK') => ({ description, content: { 'application/json': { schema: Any } } });
const tooMany = { 429: { description: 'Too many requests from this address; Retry-After says when to come back', content: { 'application/json': { schema: Any } } } };
const Cc = z.object({ cc: z.string().openapi({ param: { name: 'cc', in: 'path' }, example: 'IR' }) });
const Id = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });

const StopRowQuery = z
  .object({
    year: z.coerce.number({ message: 'must be a year' }).int().min(2016, 'must be 2016 or later').max(2100),
    country: z.string().transform((s) => s.toUpperCase()).refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code').optional(),
    type: z.enum(INCIDENT_TYPES).optional(),
    scope: z.enum(['national', 'subnational']).optional(),
    duration: z.enum(['1d', '2-7d', '8-30d', '31-365d', '>365d', 'unknown']).optional(),
    tag: z.string().max(60).optional(),
    service: z.string().max(100).optional(),
    justification: z.string().max(200).optional(),
    month: z.string().regex(/^(\d{4}-\d{2}|earlier)$/, 'must be YYYY-MM or "earlier"').optional(),
  })
  .strict();

export function publishRoutes(opts: { ratePerMinute?: number } = {}): App {
  const r = newRouter();
  const limiter = new RateLimiter(opts.ratePerMinute ?? Number(process.env.STACKWATCH_PUBLIC_RATE ?? 600));
  r.use('/public/*', cors({ origin: '*', allowMethods: ['GET', 'HEAD', 'OPTIONS', 'POST'], exposeHeaders: ['ETag', 'Retry-After'], maxAge: 600 }));
  r.use('/public/*', rateLimit(limiter, 'json'));
  r.use('/public/subscriptions/*', rateLimit(SUBSCRIBE_LIMIT, 'json'));
  const send = (c: Parameters<typeof withEtag>[0], v: unknown) => withEtag(c, typeof v === 'string' ? v : JSON.stringify(v), 'application/json; charset=utf-8');
  const sendCached = async (c: Parameters<typeof withEtag>[0], key: string, fn: () => Promise<unknown>) => {
    const generation = c.get('db').registryGeneration; // read before the data: what the answer is valid for (fastpath.ts)
    const body = await cachedPublic(c.get('db'), `api:${key}`, async () => {
      const v = await fn();
      return prepare(typeof v === 'string' ? v : JSON.stringify(v), 'application/json; charset=utf-8');
    });
    markFast(c, body, generation);
    return sendPrepared(c, body);
  };

  r.openapi(
    createRoute({ method: 'get', path: '/public/incidents', tags: ['public'], summary: 'Public incidents (TLP:CLEAR, published), filtered and paged', ...PUBLIC, request: { query: PublicFilterSchema }, responses: { 200: json(), 400: errorResponses[400], ...tooMany } }),
    async (c) => {
      const f = c.req.valid('query');
      return (await sendCached(c, `list:${JSON.stringify(f)}`, async () => {
        const { items, total } = await listPublicIncidents(c.get('db'), toRegistryFilter(f));
        return { items, total, page: f.page, pageSize: f.pageSize };
      })) as never;
    },
  );
  r.openapi(
    createRoute({ method: 'get', path: '/public/incidents/{id}', tags: ['public'], summary: 'One public incident with its public sources, evidence and laws', ...PUBLIC, request: { params: Id }, responses: { 200: json(), 404: errorResponses[404], ...tooMany } }),
    async (c) => {
      const i = await getPublicIncident(c.get('db'), c.req.valid('param').id);
      if (!i) throw notFound('Public incident');
      return send(c, i) as never;
    },
  );
  r.openapi(
    createRoute({ method: 'get', path: '/public/countries', tags: ['public'], summary: 'Public incidents and shutdown days per country', ...PUBLIC, responses: { 200: json(), ...tooMany } }),
    async (c) => send(c, { items: await publicCountryStats(c.get('db'), {}) }) as never,
  );
  r.openapi(
    createRoute({ method: 'get', path: '/public/countries/{cc}', tags: ['public'], summary: 'A country: incidents per year, laws, blocked sites seen by measurements, confirmed outage events', ...PUBLIC, request: { params: Cc }, responses: { 200: json(), 404: errorResponses[404], ...tooMany } }),
    async (c) => {
      const cc = c.req.valid('param').cc.toUpperCase();
      if (!isCountryCode(cc)) throw notFound(`Country "${cc}"`);
      const db = c.get('db');
      const site = await siteSettings(db);
      const stats = (await publicCountryStats(db, {})).find((s) => s.country === cc);
      return send(c, {
        country: cc, incidents: stats?.count ?? 0, shutdownDays: stats?.shutdownDays ?? 0, perYear: await publicCountryYears(db, cc),
        laws: site.publishLaws ? await listPublicLaws(db, { country: cc }) : [],
        blockedSites: site.publishMeasurements ? await blockedSites(db, cc, 200) : [],
        outageEvents: site.publishOutages ? await publicOutageEvents(db, { country: cc, limit: 500 }) : [],
        takedownDemands: await publicCountryLedger(db, cc),
      }) as never;
    },
  );
  r.openapi(
    createRoute({ method: 'get', path: '/public/laws', tags: ['public'], summary: 'Public laws (TLP:CLEAR)', ...PUBLIC, request: { query: z.object({ country: z.string().optional() }).strict() }, responses: { 200: json(), 400: errorResponses[400], ...tooMany } }),
    async (c) => {
      const cc = (c.req.valid('query').country ?? '').toUpperCase();
      if (cc && !isCountryCode(cc)) throw badRequest('country: must be an ISO 3166-1 alpha-2 country code such as IR or CM', 'country');
      return send(c, { items: await listPublicLaws(c.get('db'), { country: cc || undefined }) }) as never;
    },
  );
  r.openapi(
    createRoute({ method: 'get', path: '/public/stop-rows', tags: ['public'], summary: 'Rows of the Access Now STOP data set counted under a year: the query behind every figure of the annual report', ...PUBLIC, request: { query: StopRowQuery }, responses: { 200: json(), 400: errorResponses[400], ...tooMany } }),
    async (c) => {
      const f = c.req.valid('query');
      const rows = filterStopRows(await publicStopRows(c.get('db')), f);
      return send(c, { filter: f, count: rows.length, countries: new Set(rows.map((x) => x.country)).size, items: rows.map(({ summary: _s, ...x }) => x) }) as never;
    },
  );
  r.openapi(
    createRoute({ method: 'get', path: '/public/reports/annual/{year}', tags: ['public'], summary: 'Figures of the annual shutdown report, each with the query that produced it', ...PUBLIC, request: { params: z.object({ year: z.coerce.number().int().min(2016).max(2100).openapi({ param: { name: 'year', in: 'path' }, example: 2022 }) }) }, responses: { 200: json(), 400: errorResponses[400], ...tooMany } }),
    async (c) => send(c, await annualFigures(c.get('db'), c.req.valid('param').year)) as never,
  );
  r.openapi(
    createRoute({ method: 'get', path: '/public/outages', tags: ['public'], summary: 'Outage events confirmed in review', ...PUBLIC, request: { query: z.object({ country: z.string().optional() }).strict() }, responses: { 200: json(), 400: errorResponses[400], ...tooMany } }),
    async (c) => {
      const cc = (c.req.valid('query').country ?? '').toUpperCase();
      if (cc && !isCountryCode(cc)) throw badRequest('country: must be an ISO 3166-1 alpha-2 country code such as IR or CM', 'country');
      const site = await siteSettings(c.get('db'));
      return send(c, { items: site.publishOutages ? await publicOutageEvents(c.get('db'), { country: cc || undefined, limit: 1000 }) : [] }) as never;
    },
  );
  r.openapi(
    createRoute({ method: 'get', path: '/public/snapshot', tags: ['public'], summary: 'Manifest of the latest open data snapshot (files under /public/data/latest/, SHA-256 each)', ...PUBLIC, responses: { 200: json(), ...tooMany } }),
    async (c) => send(c, (await latestSnapshot(c.get('db'))).manifest) as never,
  );
  r.openapi(
    createRoute({ method: 'get', path: '/public/snapshots', tags: ['public'], summary: 'Stored versions of the open data snapshot, newest first (files under /public/data/{version}/, unchanged: SHA-256 as in each manifest)', ...PUBLIC, responses: { 200: json(), ...tooMany } }),
    async (c) => {
      const store = snapshotStore(c.get('db'));
      const items = store ? await publicVersions(c.get('db'), store) : [];
      return send(c, { keep: store?.keep ?? 0, items: items.map((v) => ({ ...v, url: `/public/data/${v.version}/`, manifest: `/public/data/${v.version}/manifest.json` })) }) as never;
    },
  );
  r.openapi(
    createRoute({ method: 'post', path: '/public/subscriptions/email', tags: ['public'], summary: 'Subscribe an e-mail address to alerts (double opt-in: a confirmation link is mailed)', ...PUBLIC, request: { body: { required: true, content: { 'application/json': { schema: EmailSubscribeSchema } } } }, responses: { 202: json('Confirmation mailed'), 400: errorResponses[400], ...tooMany } }),
    async (c) => {
      const rt = alertRuntime(c.get('db'));
      if (!rt) throw badRequest('E-mail alerts are not set up on this server (no SMTP server configured).', 'email');
      await subscribeEmail(rt, c.req.valid('json'));
      return c.json({ status: 'confirmation_sent' }, 202) as never;
    },
  );

  // ---- admin ----
  r.openapi(
    createRoute({ method: 'get', path: '/publish/settings', tags: ['publish'], summary: 'What this organisation publishes and its public name', ...ADMIN, responses: { 200: json(), ...errorResponses } }),
    async (c) => c.json(await getSettings(c.get('db'), requireAdmin(c).orgId)) as never,
  );
  r.openapi(
    createRoute({ method: 'put', path: '/publish/settings', tags: ['publish'], summary: 'Set the public name and what is published', ...ADMIN, request: { body: { required: true, content: { 'application/json': { schema: PublishSettingsSchema } } } }, responses: { 200: json(), ...errorResponses } }),
    async (c) => c.json(await updateSettings(c.get('db'), requireAdmin(c), c.req.valid('json'))) as never,
  );
  r.openapi(
    createRoute({ method: 'get', path: '/publish/subscriptions', tags: ['publish'], summary: 'Alert subscriptions (webhooks; e-mail addresses masked)', ...ADMIN, responses: { 200: json(), ...errorResponses } }),
    async (c) => {
      requireAdmin(c);
      return c.json({ items: await listSubscriptions(c.get('db')) }) as never;
    },
  );
  r.openapi(
    createRoute({ method: 'post', path: '/publish/webhooks', tags: ['publish'], summary: 'Create a webhook subscription; the signing secret is shown once', ...ADMIN, request: { body: { required: true, content: { 'application/json': { schema: WebhookInputSchema } } } }, responses: { 201: json('Created'), ...errorResponses } }),
    async (c) => c.json(await createWebhook(c.get('db'), requireAdmin(c), c.req.valid('json')), 201) as never,
  );
  r.openapi(
    createRoute({ method: 'post', path: '/publish/webhooks/{id}/enable', tags: ['publish'], summary: 'Re-enable a disabled webhook', ...ADMIN, request: { params: Id }, responses: { 200: json(), ...errorResponses } }),
    async (c) => {
      await enableWebhook(c.get('db'), requireAdmin(c), c.req.valid('param').id);
      return c.json({ ok: true }) as never;
    },
  );
  r.openapi(
    createRoute({ method: 'get', path: '/publish/subscriptions/{id}/deliveries', tags: ['publish'], summary: 'Delivery log of a subscription', ...ADMIN, request: { params: Id }, responses: { 200: json(), ...errorResponses } }),
    async (c) => {
      requireAdmin(c);
      return c.json({ items: await deliveryLog(c.get('db'), c.req.valid('param').id) }) as never;
    },
  );
  r.openapi(
    createRoute({ method: 'delete', path: '/publish/subscriptions/{id}', tags: ['publish'], summary: 'Delete a subscription (and an e-mail address with it)', ...ADMIN, request: { params: Id }, responses: { 200: json(), ...errorResponses } }),
    async (c) => {
      await deleteSubscription(c.get('db'), requireAdmin(c), c.req.valid('param').id);
      return c.json({ ok: true }) as never;
    },
  );
  r.openapi(
    createRoute({ method: 'post', path: '/publish/snapshots', tags: ['publish'], summary: 'Write a versioned open data snapshot now (the server also writes one every day); older versions beyond the retention are removed', ...ADMIN, responses: { 200: json(), ...errorResponses } }),
    async (c) => c.json(await snapshotNow(c.get('db'), requireAdmin(c))) as never,
  );
  return r;
}
