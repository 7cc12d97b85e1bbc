/**
 * HTTP routes of the outages wing (mounted under /api by the lead, via `outagesRoutes()`):
 *   GET  /outages/events                   recent detected events (filters: country, from, to, decision, limit)
 *   GET  /outages/events/{id}              one event with its evidence (numbers, plot data, SVG)
 *   POST /outages/events/{id}/decision     an analyst confirms or rejects it ({decision, note})
 *   GET  /outages/countries/{cc}/signals   stored series of a country with baseline, alert levels and events
 *   GET  /outages/timeline?country=CC      detected events beside registry incidents (STOP, IODA, analysts)
 *   GET  /outages/config                   detector parameters per signal kind (alert levels)
 */
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, newRouter, requireActor, type App } from '../platform/http.js';
import { findOverlappingIncidents } from '../incidents/service.js';
import { isCountryCode } from '../core/countries.js';
import { badRequest } from '../core/errors.js';
import { defaultConfig, paramsFor } from './detect/config.js';
import { detect } from './detect/index.js';
import { decideEvent, getEvent, listEvents, type StoredEvent } from './link.js';
import { loadSeries } from './store.js';
import { eventJson } from './cli-common.js';
import { isoUtc } from './model.js';

const json = <T extends z.ZodType>(schema: T, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const Any = z.any();

const Time = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO 8601 date or date-time' })
  .transform((s) => Math.floor(Date.parse(s) / 1000));
const Country = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code such as IR' });

const EventQuery = z
  .object({
    country: Country.optional(),
    from: Time.optional(),
    to: Time.optional(),
    decision: z.enum(['confirmed', 'rejected', 'pending']).optional(),
    scope: z.enum(['country', 'region', 'network']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

function storedJson(e: StoredEvent) {
  return { id: e.id, ...eventJson(e), incidentId: e.incidentId, decision: e.decision, decidedBy: e.decidedBy, decidedAt: e.decidedAt, decisionNote: e.decisionNote, source: e.source };
}

const MAX_CHART_POINTS = 720;

export function outagesRoutes(): App {
  const r = newRouter();

  r.openapi(
    createRoute({ method: 'get', path: '/outages/events', 'x-stackwatch-access': 'incidents:read', tags: ['outages'], summary: 'Recent detected outage events', request: { query: EventQuery }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      requireActor(c, 'incidents:read');
      const q = c.req.valid('query');
      const events = await listEvents(c.get('db'), { country: q.country, from: q.from, to: q.to, decision: q.decision, scope: q.scope, limit: q.limit });
      return c.json({ items: events.map(storedJson) }, 200);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/outages/events/{id}', 'x-stackwatch-access': 'incidents:read', tags: ['outages'], summary: 'One detected event with its evidence', request: { params: z.object({ id: z.string() }) }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      requireActor(c, 'incidents:read');
      const e = await getEvent(c.get('db'), c.req.valid('param').id);
      return c.json({ ...storedJson(e), evidence: e.evidence }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'post',
      path: '/outages/events/{id}/decision',
      'x-stackwatch-access': 'outages:write',
      tags: ['outages'],
      summary: 'Confirm or reject a detected event',
      request: { params: z.object({ id: z.string() }), body: { required: true, content: { 'application/json': { schema: z.object({ decision: z.enum(['confirmed', 'rejected']), note: z.string().max(2000).optional() }).strict() } } } },
      responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'outages:write');
      const b = c.req.valid('json');
      const e = await decideEvent(c.get('db'), c.req.valid('param').id, b.decision, actor, b.note ?? '');
      return c.json(storedJson(e), 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'get',
      path: '/outages/countries/{cc}/signals',
      'x-stackwatch-access': 'incidents:read',
      tags: ['outages'],
      summary: 'Signal charts of a country: series, baseline, alert levels and detected events',
      request: { params: z.object({ cc: Country }), query: z.object({ from: Time.optional(), to: Time.optional(), signal: z.string().max(60).optional(), scope: z.enum(['country', 'region', 'network']).optional() }).strict() },
      responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      requireActor(c, 'incidents:read');
      const { cc } = c.req.valid('param');
      const q = c.req.valid('query');
      const to = q.to ?? Math.floor(Date.now() / 1000);
      const from = q.from ?? to - 14 * 86400;
      if (from >= to) throw badRequest('from must be before to', 'from');
      if (to - from > 400 * 86400) throw badRequest('ask for at most 400 days at a time', 'from');
      // detection needs history before `from`: load four more weeks
      const all = await loadSeries(c.get('db'), { country: cc, signal: q.signal, from: from - 28 * 86400, to });
      const config = defaultConfig();
      const d = detect(all, config, { trace: true });
      const series = d.perSeries
        .filter((s) => !q.scope || s.series.entity.scope === q.scope)
        .slice(0, 200)
        .map((s) => {
          const { start, step, values } = s.series;
          const i0 = Math.max(0, Math.ceil((from - start) / step));
          const i1 = Math.min(values.length, Math.floor((to - start) / step) + 1);
          const n = Math.max(0, i1 - i0);
          const per = Math.max(1, Math.ceil(n / MAX_CHART_POINTS));
          const t: string[] = [];
          const v: (number | null)[] = [];
          const b: (number | null)[] = [];
          for (let k = i0; k < i1; k += per) {
            let sv = 0;
            let sb = 0;
            let nv = 0;
            let nb = 0;
            for (let j = k; j < Math.min(i1, k + per); j++) {
              const x = values[j]!;
              const y = s.trace!.baseline[j]!;
              if (x === x) (sv += x), nv++;
              if (y === y) (sb += y), nb++;
            }
            t.push(isoUtc(start + k * step));
            v.push(nv ? Math.round((sv / nv) * 1000) / 1000 : null);
            b.push(nb ? Math.round((sb / nb) * 1000) / 1000 : null);
          }
          const p = paramsFor(config, s.series.signal);
          return { entity: s.series.entity, signal: s.series.signal, step: step * per, t, value: v, baseline: b, levels: { warning: p.warning, critical: p.critical } };
        });
      const events = d.events.filter((e) => (e.end ?? Infinity) >= from && e.start <= to).map(eventJson);
      return c.json({ country: cc, from: isoUtc(from), to: isoUtc(to), series, events, warnings: d.warnings }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'get',
      path: '/outages/timeline',
      'x-stackwatch-access': 'incidents:read',
      tags: ['outages'],
      summary: 'Detected events beside registry incidents (STOP, IODA, analysts) on one timeline',
      request: { query: z.object({ country: Country, from: Time.optional(), to: Time.optional() }).strict() },
      responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'incidents:read');
      const q = c.req.valid('query');
      const to = q.to ?? Math.floor(Date.now() / 1000);
      const from = q.from ?? to - 365 * 86400;
      const db = c.get('db');
      const detected = await listEvents(db, { country: q.country, from, to, limit: 500 });
      const incidents = await findOverlappingIncidents(db, { country: q.country, typePrefixes: ['shutdown', 'throttling'], from: new Date(from * 1000), to: new Date(to * 1000), actor });
      const items = [
        ...detected.map((e) => ({ lane: 'detected', id: e.id, title: `${e.entity} ${e.kind}`, start: isoUtc(e.start), end: e.end === null ? null : isoUtc(e.end), kind: e.kind, scope: e.scope, depth: e.depth, severity: e.severity, decision: e.decision, incidentId: e.incidentId })),
        ...incidents.map((i) => ({ lane: i.origin === 'stop' ? 'stop' : i.origin === 'ioda' ? 'ioda' : i.origin === 'outages' ? 'draft' : 'registry', id: i.id, title: i.title, start: i.startAt, end: i.endAt, type: i.type, origin: i.origin })),
      ].sort((a, b) => String(a.start).localeCompare(String(b.start)));
      return c.json({ country: q.country, from: isoUtc(from), to: isoUtc(to), items }, 200);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/outages/config', 'x-stackwatch-access': 'incidents:read', tags: ['outages'], summary: 'Detector parameters per signal kind', responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      requireActor(c, 'incidents:read');
      return c.json(defaultConfig(), 200);
    },
  );

  return r;
}
