import { createRoute, z } from '@hono/zod-openapi';
import { stream } from 'hono/streaming';
import { errorResponses, newRouter, requireActor, type App } from '../platform/http.js';
import {
  DocumentInputSchema, EvidenceInputSchema, IncidentFilterSchema, IncidentInputSchema, IncidentPatchSchema, IncidentSchema, Instant, LawInputSchema,
  LawPatchSchema, SourceInputSchema, CountryCode,
} from './model.js';
import { cachedRead, listIncidents, listScope, pageView, setPageView, streamIncidents } from './store.js';
import {
  addDocument, addSource, attachEvidence, countryProfile, createIncident, createLaw, getDocument, getIncident, getLaw, incidentHistory, linkLaw, listLaws,
  statsByCountryWithFilter, statsMonthlyWithFilter, updateIncident, updateLaw, datasetCounts, listDuplicates, incidentDuplicates, mergeIncidents,
  dismissDuplicate,
} from './service.js';
import { badRequest } from '../core/errors.js';
import { exportChunks } from './export.js';
import { countryName } from '../core/countries.js';
import { INCIDENT_STATUSES, LAW_STATUSES } from '../core/taxonomy.js';

const json = <T extends z.ZodType>(schema: T, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
const IdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });
const Any = z.any();
const Page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), total: z.number(), page: z.number(), pageSize: z.number() });

const LIST_HEAD = Buffer.from('{"items":');

export function incidentRoutes(): App {
  const r = newRouter();

  r.openapi(
    createRoute({ method: 'get', path: '/incidents', 'x-stackwatch-access': 'incidents:read', tags: ['incidents'], summary: 'Search incidents (TLP applied)', request: { query: IncidentFilterSchema }, responses: { 200: json(Page(IncidentSchema)), ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, 'incidents:read');
      const f = c.req.valid('query');
      const db = c.get('db');
      // The serialised items are cached with the rows (see cachedRead); a new incident that sorts after a full page
      // only adds one to its total (listScope), so the total is written apart. They are kept as UTF-8 bytes: a page
      // is 60–90 kB of JSON, and building and encoding it as a string on every request allocated (and unmapped) two
      // large blocks per answer — under load, a third of the server's CPU went to that.
      const page = await cachedRead(db, actor, `list-json:${JSON.stringify(f)}`, async () => {
        const list = await listIncidents(db, actor, f);
        const { items, total } = list;
        return setPageView({ items: Buffer.from(JSON.stringify(items)), total, count: items.length, lastStartAt: items[items.length - 1]?.startAt ?? null }, pageView(list));
      }, listScope(actor, f));
      const body = Buffer.concat([LIST_HEAD, page.items, Buffer.from(`,"total":${page.total},"page":${f.page},"pageSize":${f.pageSize}}`)]);
      return c.body(body, 200, { 'Content-Type': 'application/json; charset=UTF-8' }) as never;
    },
  );

  const ExportQuery = IncidentFilterSchema.omit({ page: true, pageSize: true }).extend({ format: z.enum(['csv', 'json']).default('json') }).strict();
  r.openapi(
    createRoute({ method: 'get', path: '/incidents/export', 'x-stackwatch-access': 'incidents:read', tags: ['incidents'], summary: 'Export the filtered list as CSV or JSON', request: { query: ExportQuery }, responses: { 200: { description: 'A file' }, ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, 'incidents:read');
      const { format, ...f } = c.req.valid('query');
      const db = c.get('db');
      const stamp = new Date().toISOString().slice(0, 10);
      c.header('Content-Disposition', `attachment; filename="stackwatch-incidents-${stamp}.${format}"`);
      c.header('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
      return stream(c, async (s) => {
        for await (const chunk of exportChunks(db, streamIncidents(db, actor, f), format)) await s.write(chunk);
      }) as never;
    },
  );

  r.openapi(
    createRoute({ method: 'post', path: '/incidents', 'x-stackwatch-access': 'incidents:write', tags: ['incidents'], summary: 'Create an incident', request: { body: body(IncidentInputSchema) }, responses: { 201: json(IncidentSchema, 'Created'), ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, 'incidents:write');
      const inc = await createIncident(c.get('db'), actor, c.req.valid('json'));
      const { created: _c, ...rest } = inc;
      return c.json(rest, 201);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/incidents/{id}', 'x-stackwatch-access': 'incidents:read', tags: ['incidents'], summary: 'One incident with sources, evidence and laws', request: { params: IdParam }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, 'incidents:read');
      const db = c.get('db');
      const id = c.req.valid('param').id;
      // Cached like list pages: per registry write generation (sources, evidence and laws move it too) and reader.
      // A new incident changes no other incident's page (its sources, evidence and laws are its own).
      const text = await cachedRead(db, actor, `detail-json:${id}`, async () => JSON.stringify(await getIncident(db, actor, id)), (created) => created.id === id);
      return c.body(text, 200, { 'Content-Type': 'application/json; charset=UTF-8' }) as never;
    },
  );

  r.openapi(
    createRoute({ method: 'patch', path: '/incidents/{id}', 'x-stackwatch-access': 'incidents:write', tags: ['incidents'], summary: 'Change an incident (send the version you edited)', request: { params: IdParam, body: body(IncidentPatchSchema) }, responses: { 200: json(IncidentSchema), 409: json(Any, 'Edited by someone else'), ...errorResponses } }),
    async (c) => c.json(await updateIncident(c.get('db'), requireActor(c, 'incidents:write'), c.req.valid('param').id, c.req.valid('json')), 200),
  );

  r.openapi(
    createRoute({ method: 'get', path: '/incidents/{id}/history', 'x-stackwatch-access': 'incidents:read', tags: ['incidents'], summary: 'Change history', request: { params: IdParam }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => c.json({ items: await incidentHistory(c.get('db'), requireActor(c, 'incidents:read'), c.req.valid('param').id) }, 200),
  );

  r.openapi(
    createRoute({ method: 'post', path: '/incidents/{id}/sources', 'x-stackwatch-access': 'incidents:write', tags: ['incidents'], summary: 'Add a source URL', request: { params: IdParam, body: body(SourceInputSchema) }, responses: { 201: json(Any, 'Added'), ...errorResponses } }),
    async (c) => c.json(await addSource(c.get('db'), requireActor(c, 'incidents:write'), c.req.valid('param').id, c.req.valid('json')), 201),
  );

  r.openapi(
    createRoute({ method: 'post', path: '/incidents/{id}/documents', 'x-stackwatch-access': 'incidents:write', tags: ['incidents'], summary: 'Upload a document (stored with its SHA-256)', request: { params: IdParam, body: body(DocumentInputSchema) }, responses: { 201: json(Any, 'Stored'), ...errorResponses } }),
    async (c) => c.json(await addDocument(c.get('db'), requireActor(c, 'incidents:write'), c.req.valid('param').id, c.req.valid('json')), 201),
  );

  r.openapi(
    createRoute({ method: 'post', path: '/incidents/{id}/evidence', 'x-stackwatch-access': 'incidents:write', tags: ['incidents'], summary: 'Link evidence (measurement, outage event, takedown record, case)', request: { params: IdParam, body: body(EvidenceInputSchema) }, responses: { 201: json(Any, 'Linked'), ...errorResponses } }),
    async (c) => c.json(await attachEvidence(c.get('db'), requireActor(c, 'incidents:write'), c.req.valid('param').id, c.req.valid('json')), 201),
  );

  const DocParams = z.object({
    id: z.string().openapi({ param: { name: 'id', in: 'path' } }),
    sourceId: z.string().openapi({ param: { name: 'sourceId', in: 'path' } }),
  });
  r.openapi(
    createRoute({ method: 'get', path: '/incidents/{id}/documents/{sourceId}', 'x-stackwatch-access': 'incidents:read', tags: ['incidents'], summary: 'Download an uploaded document (for those who may read the incident)', request: { params: DocParams }, responses: { 200: { description: 'The document as uploaded; its SHA-256 in X-Content-SHA256' }, ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      const doc = await getDocument(c.get('db'), requireActor(c, 'incidents:read'), p.id, p.sourceId);
      // Always a download, never rendered in the console's origin (an uploaded HTML or SVG file cannot run script).
      const safeName = doc.fileName.replace(/[^\w.\- ]+/g, '_').slice(0, 200) || 'document';
      return c.body(new Uint8Array(doc.content), 200, {
        'Content-Type': /^[\w.+-]+\/[\w.+-]+$/.test(doc.contentType) ? doc.contentType : 'application/octet-stream',
        'Content-Disposition': `attachment; filename="${safeName}"; filename*=UTF-8''${encodeURIComponent(doc.fileName)}`,
        'Content-Security-Policy': "default-src 'none'; sandbox",
        'X-Content-SHA256': doc.sha256,
      }) as never;
    },
  );

  // What a figure counts: stated choices with defaults (docs/registry.md); every answer returns the filter it applied.
  const Choice = {
    status: z.enum(['verified', 'reviewed', 'all']).optional().openapi({ description: 'verified (default), reviewed (verified or under review), all' }),
    family: z.string().max(60).optional().openapi({ description: 'rights (default: every type but "other"), shutdowns (as Access Now counts them), network, all, or a type / type prefix' }),
    origin: z.string().max(40).optional().openapi({ description: 'source of the records: stop, ioda, manual, outages, measure…' }),
  };
  const Period = z.object({ from: Instant.optional(), to: Instant.optional(), type: z.string().max(60).optional(), ...Choice }).strict();
  r.openapi(
    createRoute({ method: 'get', path: '/stats/countries', 'x-stackwatch-access': 'incidents:read', tags: ['statistics'], summary: 'Incidents and shutdown days per country over a period', request: { query: Period }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => c.json(await statsByCountryWithFilter(c.get('db'), requireActor(c, 'incidents:read'), c.req.valid('query')), 200),
  );
  const Monthly = z.object({ from: Instant.optional(), to: Instant.optional(), country: CountryCode.optional(), ...Choice }).strict();
  r.openapi(
    createRoute({ method: 'get', path: '/stats/monthly', 'x-stackwatch-access': 'incidents:read', tags: ['statistics'], summary: 'Incidents per month by type', request: { query: Monthly }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => c.json(await statsMonthlyWithFilter(c.get('db'), requireActor(c, 'incidents:read'), c.req.valid('query')), 200),
  );
  const CC = z.object({ cc: CountryCode.openapi({ param: { name: 'cc', in: 'path' } }) });
  r.openapi(
    createRoute({ method: 'get', path: '/countries/{cc}', 'x-stackwatch-access': 'incidents:read', tags: ['statistics'], summary: 'A country: incidents, shutdown days, laws', request: { params: CC }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const cc = c.req.valid('param').cc;
      const lang = (c.req.query('lang') ?? 'en').slice(0, 2);
      const q = CountryQuery.safeParse(Object.fromEntries(['from', 'to', 'status', 'family', 'origin'].flatMap((k) => (c.req.query(k) ? [[k, c.req.query(k)]] : []))));
      if (!q.success) throw badRequest(q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), String(q.error.issues[0]?.path[0] ?? 'query'));
      return c.json({ ...(await countryProfile(c.get('db'), requireActor(c, 'incidents:read'), cc, q.data)), name: countryName(cc, lang) }, 200);
    },
  );

  const CountryQuery = z.object({ from: Instant.optional(), to: Instant.optional(), ...Choice }).strict();

  const Dataset = z.object({ dataset: z.enum(['stop', 'ioda']).openapi({ param: { name: 'dataset', in: 'path' } }) });
  r.openapi(
    createRoute({
      method: 'get', path: '/stats/datasets/{dataset}', tags: ['statistics'], 'x-stackwatch-access': 'incidents:read',
      summary: "A data set's own counts per period (Access Now STOP: rows per year's sheet), with the counting it follows and its attribution",
      request: { params: Dataset }, responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => c.json(await datasetCounts(c.get('db'), requireActor(c, 'incidents:read'), c.req.valid('param').dataset), 200),
  );

  // Likely duplicates and merging
  const DupQuery = z.object({ country: CountryCode.optional(), page: z.coerce.number().int().min(1).default(1), pageSize: z.coerce.number().int().min(1).max(200).default(50) }).strict();
  r.openapi(
    createRoute({ method: 'get', path: '/duplicates', tags: ['incidents'], 'x-stackwatch-access': 'incidents:read', summary: 'Open pairs of likely duplicates (review queue)', request: { query: DupQuery }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json({ ...(await listDuplicates(c.get('db'), requireActor(c, 'incidents:read'), q)), page: q.page, pageSize: q.pageSize }, 200);
    },
  );
  r.openapi(
    createRoute({ method: 'get', path: '/incidents/{id}/duplicates', tags: ['incidents'], 'x-stackwatch-access': 'incidents:read', summary: 'Likely duplicates of an incident, with the reasons', request: { params: IdParam }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => c.json({ items: await incidentDuplicates(c.get('db'), requireActor(c, 'incidents:read'), c.req.valid('param').id) }, 200),
  );
  r.openapi(
    createRoute({
      method: 'post', path: '/incidents/{id}/merge', tags: ['incidents'], 'x-stackwatch-access': 'incidents:write',
      summary: 'Merge another incident into this one (sources, evidence, data-set records, laws and history kept; audited; all or nothing)',
      request: { params: IdParam, body: body(z.object({ from: z.uuid() }).strict()) }, responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => c.json(await mergeIncidents(c.get('db'), requireActor(c, 'incidents:write'), c.req.valid('param').id, c.req.valid('json').from), 200),
  );
  const PairParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }), otherId: z.string().openapi({ param: { name: 'otherId', in: 'path' } }) });
  r.openapi(
    createRoute({ method: 'post', path: '/incidents/{id}/duplicates/{otherId}/dismiss', tags: ['incidents'], 'x-stackwatch-access': 'incidents:write', summary: 'Mark a proposed pair as not duplicates', request: { params: PairParam }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await dismissDuplicate(c.get('db'), requireActor(c, 'incidents:write'), p.id, p.otherId), 200);
    },
  );

  // Laws
  const LawQuery = z.object({
    country: CountryCode.optional(), status: z.enum(LAW_STATUSES).optional(), q: z.string().max(200).optional(),
    page: z.coerce.number().int().min(1).default(1), pageSize: z.coerce.number().int().min(1).max(500).default(50),
  }).strict();
  r.openapi(
    createRoute({ method: 'get', path: '/laws', 'x-stackwatch-access': 'laws:read', tags: ['laws'], summary: 'Laws and bills', request: { query: LawQuery }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const q = c.req.valid('query');
      const { items, total } = await listLaws(c.get('db'), requireActor(c, 'laws:read'), q);
      return c.json({ items, total, page: q.page, pageSize: q.pageSize }, 200);
    },
  );
  r.openapi(
    createRoute({ method: 'post', path: '/laws', 'x-stackwatch-access': 'laws:write', tags: ['laws'], summary: 'Track a law or bill', request: { body: body(LawInputSchema) }, responses: { 201: json(Any, 'Created'), ...errorResponses } }),
    async (c) => c.json(await createLaw(c.get('db'), requireActor(c, 'laws:write'), c.req.valid('json')), 201),
  );
  r.openapi(
    createRoute({ method: 'get', path: '/laws/{id}', 'x-stackwatch-access': 'laws:read', tags: ['laws'], summary: 'One law', request: { params: IdParam }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => c.json(await getLaw(c.get('db'), requireActor(c, 'laws:read'), c.req.valid('param').id), 200),
  );
  r.openapi(
    createRoute({ method: 'patch', path: '/laws/{id}', 'x-stackwatch-access': 'laws:write', tags: ['laws'], summary: 'Change a law (status moves extend its timeline)', request: { params: IdParam, body: body(LawPatchSchema) }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => c.json(await updateLaw(c.get('db'), requireActor(c, 'laws:write'), c.req.valid('param').id, c.req.valid('json')), 200),
  );
  r.openapi(
    createRoute({ method: 'post', path: '/laws/{id}/incidents', 'x-stackwatch-access': 'laws:write', tags: ['laws'], summary: 'Link an incident to a law', request: { params: IdParam, body: body(z.object({ incidentId: z.uuid() }).strict()) }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => c.json(await linkLaw(c.get('db'), requireActor(c, 'laws:write'), c.req.valid('param').id, c.req.valid('json').incidentId, true), 200),
  );
  const Unlink = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }), incidentId: z.string().openapi({ param: { name: 'incidentId', in: 'path' } }) });
  r.openapi(
    createRoute({ method: 'delete', path: '/laws/{id}/incidents/{incidentId}', 'x-stackwatch-access': 'laws:write', tags: ['laws'], summary: 'Unlink an incident from a law', request: { params: Unlink }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await linkLaw(c.get('db'), requireActor(c, 'laws:write'), p.id, p.incidentId, false), 200);
    },
  );
  void INCIDENT_STATUSES;
  return r;
}
