/**
 * HTTP routes of the measure wing (mounted under /api by the lead, via `measureRoutes()`):
 *   GET  /measure/measurements                 stored measurements (filters: country, asn, domain, verdict, from, to, limit, offset)
 *   GET  /measure/measurements/{id}            one measurement: verdict, evidence and the raw OONI JSON
 *   GET  /measure/aggregate?by=country,day     anomalies by country, ASN, domain and/or day
 *   GET  /measure/blocked-domains              distinct blocked domains per day (the console chart)
 *   POST /measure/import                       OONI JSONL in the body ({jsonl, source}); verdicts recomputed
 *   POST /measure/incidents/{id}/evidence      attach measurements to an incident ({measurementIds})
 *   POST /measure/open-incidents               open draft "website blocking" incidents from confirmed blocks ({country})
 */
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, newRouter, requireActor, type App } from '../platform/http.js';
import { isCountryCode } from '../core/countries.js';
import { notFound } from '../core/errors.js';
import { aggregateAnomalies, blockedDomainsOverTime, getMeasurement, GROUP_KEYS, importJsonl, listMeasurements, type GroupKey } from './analysis/store.js';
import { attachMeasurements, openBlockingIncidents } from './analysis/registry.js';
import { VERDICT_KINDS } from './ooni/model.js';

const json = <T extends z.ZodType>(schema: T, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
const Any = z.any();
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const Country = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code such as CM' });
/** Measurements may say ZZ: OONI's code for a probe whose country is unknown (and the lab's). */
const ProbeCountry = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .refine((s) => s === 'ZZ' || isCountryCode(s), { message: 'must be an ISO 3166-1 alpha-2 country code such as CM, or ZZ (unknown)' });

const Filter = z
  .object({
    country: ProbeCountry.optional(),
    asn: z.coerce.number().int().min(0).max(4294967295).optional(),
    domain: z.string().min(1).max(253).optional(),
    verdict: z.enum(VERDICT_KINDS).optional(),
    from: Day.optional(),
    to: Day.optional(),
  })
  .strict();

const ListQuery = Filter.extend({ limit: z.coerce.number().int().min(1).max(500).default(50), offset: z.coerce.number().int().min(0).default(0) }).strict();
const AggQuery = Filter.extend({
  by: z
    .string()
    .default('country')
    .refine((s) => s.split(',').every((k) => (GROUP_KEYS as readonly string[]).includes(k.trim())), { message: `a comma-separated list of ${GROUP_KEYS.join(', ')}` }),
}).strict();

export function measureRoutes(): App {
  const r = newRouter();

  r.openapi(
    createRoute({ method: 'get', path: '/measure/measurements', 'x-stackwatch-access': 'incidents:read', tags: ['measure'], summary: 'Stored web-connectivity measurements', request: { query: ListQuery }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, 'incidents:read');
      const q = c.req.valid('query');
      return c.json(await listMeasurements(c.get('db'), { ...q, orgId: actor.orgId }), 200);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/measure/measurements/{id}', 'x-stackwatch-access': 'incidents:read', tags: ['measure'], summary: 'One measurement with its raw OONI JSON', request: { params: z.object({ id: z.string() }) }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, 'incidents:read');
      const m = await getMeasurement(c.get('db'), c.req.valid('param').id, actor.orgId);
      if (!m) throw notFound('Measurement');
      const { raw, ...rest } = m;
      return c.json({ ...rest, measurement: JSON.parse(raw) as unknown }, 200);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/measure/measurements/{id}/raw', 'x-stackwatch-access': 'incidents:read', tags: ['measure'], summary: 'The stored measurement, byte for byte (its SHA-256 in X-Content-SHA256)', request: { params: z.object({ id: z.string() }) }, responses: { 200: { description: 'The raw OONI JSON line' }, ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, 'incidents:read');
      // the raw line holds the probe's IP and annotations: the owning organisation only (or a public measurement)
      const m = await getMeasurement(c.get('db'), c.req.valid('param').id, actor.orgId);
      if (!m) throw notFound('Measurement');
      return c.body(m.raw, 200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Disposition': `attachment; filename="measurement-${m.sha256.slice(0, 16)}.json"`,
        'X-Content-SHA256': m.sha256,
      }) as never;
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/measure/aggregate', 'x-stackwatch-access': 'incidents:read', tags: ['measure'], summary: 'Anomalies by country, ASN, domain and day', request: { query: AggQuery }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, 'incidents:read');
      const { by, ...f } = c.req.valid('query');
      const keys = by.split(',').map((k) => k.trim()) as GroupKey[];
      return c.json({ by: keys, items: await aggregateAnomalies(c.get('db'), keys, { ...f, orgId: actor.orgId }) }, 200);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/measure/blocked-domains', 'x-stackwatch-access': 'incidents:read', tags: ['measure'], summary: 'Distinct blocked domains per day', request: { query: Filter }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, 'incidents:read');
      return c.json({ items: await blockedDomainsOverTime(c.get('db'), { ...c.req.valid('query'), orgId: actor.orgId }) }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'post',
      path: '/measure/import',
      'x-stackwatch-access': 'measure:write',
      tags: ['measure'],
      summary: 'Import OONI measurement JSONL (at most 1 MiB per request; use `stackwatch measure import` for big files)',
      request: {
        body: body(
          z
            .object({
              jsonl: z.string().min(1).max(1024 * 1024, 'at most 1 MiB per request: use `stackwatch measure import` for big files'),
              source: z.string().min(1).max(200).default('api'),
              /** every organisation may read them, raw included (for OONI's published measurements) */
              public: z.boolean().default(false),
            })
            .strict(),
        ),
      },
      responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'measure:write');
      const b = c.req.valid('json');
      return c.json(await importJsonl(c.get('db'), b.jsonl, b.source, { actor, public: b.public }), 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'post',
      path: '/measure/incidents/{id}/evidence',
      'x-stackwatch-access': 'incidents:write',
      tags: ['measure'],
      summary: 'Attach stored measurements to an incident as evidence',
      request: { params: z.object({ id: z.string() }), body: body(z.object({ measurementIds: z.array(z.string()).min(1).max(500) }).strict()) },
      responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'incidents:write');
      return c.json(await attachMeasurements(c.get('db'), actor, c.req.valid('param').id, c.req.valid('json').measurementIds), 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'post',
      path: '/measure/open-incidents',
      'x-stackwatch-access': 'measure:write',
      tags: ['measure'],
      summary: 'Open draft "website blocking" incidents from confirmed blocks in a country',
      request: {
        body: body(
          z
            .object({
              country: Country,
              domain: z.string().min(1).max(253).optional(),
              from: Day.optional(),
              to: Day.optional(),
              tlp: z.enum(['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT']).default('TLP:AMBER'),
            })
            .strict(),
        ),
      },
      responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'incidents:write');
      requireActor(c, 'measure:write');
      return c.json({ items: await openBlockingIncidents(c.get('db'), actor, c.req.valid('json')) }, 200);
    },
  );

  return r;
}
