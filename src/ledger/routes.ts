/**
 * HTTP routes of the ledger wing (mounted under /api via src/wings.ts). Every route names who may call it in
 * `x-stackwatch-access`. The answers do not say which engine computed them beyond an `engine` field.
 *   GET  /ledger/queries/{name}         a named query (requests, compliance, reasons, dsaVolumes, interventionsByLayer, rows); ?format=csv
 *   GET  /ledger/compare                two countries side by side (?a=TR&b=RU)
 *   GET  /ledger/timeline               the country pressure timeline (?country=TR&from=2022-01-01&to=2023-12-31)
 *   GET  /ledger/surges                 surges of demands by the documented rule
 *   POST /ledger/surges/link            surges → draft incidents with evidence (never duplicates)
 *   POST /ledger/interventions          an infrastructure intervention (form)
 *   POST /ledger/interventions/csv      interventions from a CSV
 *   POST /ledger/interventions/link     interventions → draft incidents
 *   GET  /ledger/imports, /ledger/imports/{id}/flags
 *   POST /ledger/mapping/preview, GET|POST /ledger/mappings, POST /ledger/imports/generic
 */
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, newRouter, requireActor, type App } from '../platform/http.js';
import { audit } from '../platform/audit.js';
import { badRequest, notFound } from '../core/errors.js';
import { ledgerFor } from './engine.js';
import { check, ColumnMapping, Caveats } from './model.js';
import { QUERY_NAMES, runQuery, type QueryName } from './queries.js';
import { addIntervention, describeSurgeRule, findSurges, importInterventionsCsv, linkInterventions, linkSurges, pressureTimeline, SURGE_RULE } from './service.js';
import { getImport, listFlags, listImports, listMappings, saveMapping } from './store.js';
import { importGenericText, previewMapping } from './import/generic.js';

const json = <T extends z.ZodType>(schema: T, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const Any = z.any();
const body = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
const Cc = z.string().trim().toUpperCase().regex(/^[A-Z]{2}$/, 'must be a two-letter country code such as TR');
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const FileBody = z.object({ fileName: z.string().trim().min(1).max(200).regex(/^[^/\\]+$/, 'a file name, not a path'), text: z.string().min(1, 'the file is empty').max(900_000) }).strict();

const QueryParams = z
  .object(Object.fromEntries(['format', 'country', 'year', 'from', 'to', 'series', 'requester_type', 'by', 'platform', 'category', 'limit', 'dataset', 'kind', 'google'].map((k) => [k, z.string().max(300).optional()])))
  .strict();

/** CSV of rows (RFC 4180 quoting), the caveat travels in a header. */
function toCsv(rows: Record<string, unknown>[]): string {
  if (!rows.length) return '';
  const cols = Object.keys(rows[0]!);
  const q = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `${cols.join(',')}\r\n${rows.map((r) => cols.map((c) => q(r[c])).join(',')).join('\r\n')}\r\n`;
}

export function ledgerRoutes(): App {
  const r = newRouter();

  r.openapi(
    createRoute({
      method: 'get', path: '/ledger/queries/{name}', tags: ['ledger'], summary: 'Run a named ledger query (JSON, or CSV with ?format=csv)', 'x-stackwatch-access': 'ledger:read',
      request: { params: z.object({ name: z.enum(QUERY_NAMES as [QueryName, ...QueryName[]]) }), query: QueryParams },
      responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'ledger:read');
      const { name } = c.req.valid('param');
      const { format, ...given } = c.req.valid('query');
      const params = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined && v !== ''));
      if (format && format !== 'csv' && format !== 'json') throw badRequest('format must be csv or json', 'format');
      const res = await runQuery(await ledgerFor(c.get('db')), name, params, actor);
      if (format === 'csv') {
        return c.body(toCsv(res.rows), 200, {
          'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="ledger-${name}.csv"`, 'X-Stackwatch-Caveat': encodeURIComponent(res.caveat),
        }) as never;
      }
      return c.json(res, 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'get', path: '/ledger/compare', tags: ['ledger'], summary: 'Two countries side by side: requests and share removed per year', 'x-stackwatch-access': 'ledger:read',
      request: { query: z.object({ a: Cc, b: Cc, from: z.coerce.number().int().min(2000).max(2100).optional(), to: z.coerce.number().int().min(2000).max(2100).optional() }).strict() },
      responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'ledger:read');
      const q = c.req.valid('query');
      const e = await ledgerFor(c.get('db'));
      const one = async (cc: string) => (await runQuery(e, 'compliance', { country: cc, by: 'year', ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}) }, actor)).rows;
      const [ra, rb] = [await one(q.a), await one(q.b)];
      const years = [...new Set([...ra, ...rb].map((x) => Number(x.year)))].sort();
      const pick = (rows: typeof ra, y: number) => rows.find((x) => Number(x.year) === y) ?? null;
      const rows = years.map((y) => {
        const x = pick(ra, y);
        const z2 = pick(rb, y);
        return { year: y, [`${q.a}_requests`]: x?.requests_low ?? null, [`${q.a}_share_removed`]: x?.share_removed ?? null, [`${q.b}_requests`]: z2?.requests_low ?? null, [`${q.b}_share_removed`]: z2?.share_removed ?? null };
      });
      return c.json({ a: q.a, b: q.b, caveat: Caveats.google, rows }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'get', path: '/ledger/timeline', tags: ['ledger'], summary: 'Country pressure timeline: demands, interventions, blocking, shutdowns and laws', 'x-stackwatch-access': 'ledger:read',
      request: { query: z.object({ country: Cc, from: Day.optional(), to: Day.optional() }).strict() },
      responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'ledger:read');
      const q = c.req.valid('query');
      const to = q.to ?? new Date().toISOString().slice(0, 10);
      const from = q.from ?? `${Number(to.slice(0, 4)) - 4}-01-01`;
      if (from > to) throw badRequest('from must not be after to', 'from');
      return c.json(await pressureTimeline(c.get('db'), await ledgerFor(c.get('db')), actor, q.country, from, to), 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'get', path: '/ledger/surges', tags: ['ledger'], summary: 'Surges of demands by the documented rule', 'x-stackwatch-access': 'ledger:read',
      request: { query: z.object({ country: Cc.optional() }).strict() }, responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'ledger:read');
      const q = c.req.valid('query');
      return c.json({ rule: describeSurgeRule(), parameters: SURGE_RULE, caveat: Caveats.google, surges: await findSurges(await ledgerFor(c.get('db')), actor, q) }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'post', path: '/ledger/surges/link', tags: ['ledger'], summary: 'Open draft takedown incidents for surges (evidence attached, never a duplicate)', 'x-stackwatch-access': 'ledger:write',
      request: { body: body(z.object({ country: Cc.optional() }).strict()) }, responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'ledger:write');
      const b = c.req.valid('json');
      const e = await ledgerFor(c.get('db'));
      return c.json({ rule: describeSurgeRule(), links: await linkSurges(c.get('db'), e, actor, await findSurges(e, actor, b)) }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'post', path: '/ledger/interventions', tags: ['ledger'], summary: 'Record an infrastructure intervention', 'x-stackwatch-access': 'ledger:write',
      request: { body: body(z.record(z.string(), z.unknown())) }, responses: { 201: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'ledger:write');
      const row = await addIntervention(c.get('db'), await ledgerFor(c.get('db')), actor, c.req.valid('json'));
      return c.json(row, 201);
    },
  );

  r.openapi(
    createRoute({
      method: 'post', path: '/ledger/interventions/csv', tags: ['ledger'], summary: 'Record infrastructure interventions from a CSV', 'x-stackwatch-access': 'ledger:write',
      request: { body: body(FileBody) }, responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'ledger:write');
      const b = c.req.valid('json');
      return c.json(await importInterventionsCsv(c.get('db'), await ledgerFor(c.get('db')), actor, b.text, b.fileName), 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'post', path: '/ledger/interventions/link', tags: ['ledger'], summary: 'Open draft incidents for infrastructure interventions', 'x-stackwatch-access': 'ledger:write',
      request: { body: body(z.object({ country: Cc.optional() }).strict()) }, responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'ledger:write');
      return c.json({ links: await linkInterventions(c.get('db'), await ledgerFor(c.get('db')), actor, c.req.valid('json')) }, 200);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/ledger/imports', tags: ['ledger'], summary: 'Imports and their counts', 'x-stackwatch-access': 'ledger:read', responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, 'ledger:read');
      const all = await listImports(await ledgerFor(c.get('db')));
      return c.json({ items: all.filter((i) => !i.org_id || i.org_id === actor.orgId) }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'get', path: '/ledger/imports/{id}/flags', tags: ['ledger'], summary: 'Rows an import flagged, with the reason', 'x-stackwatch-access': 'ledger:write',
      request: { params: z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, 'an import id') }) }, responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'ledger:write');
      const e = await ledgerFor(c.get('db'));
      const imp = await getImport(e, c.req.valid('param').id);
      if (!imp || (imp.org_id && imp.org_id !== actor.orgId)) throw notFound('Import');
      return c.json({ import: imp, flags: await listFlags(e, imp.id) }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'post', path: '/ledger/mapping/preview', tags: ['ledger'], summary: 'Preview the first rows of a CSV through a column mapping (nothing is stored)', 'x-stackwatch-access': 'ledger:write',
      request: { body: body(z.object({ text: z.string().min(1).max(900_000), mapping: z.unknown(), rows: z.number().int().min(1).max(50).default(10) }).strict()) },
      responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      requireActor(c, 'ledger:write');
      const b = c.req.valid('json');
      return c.json(previewMapping(b.text, b.mapping, b.rows), 200);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/ledger/mappings', tags: ['ledger'], summary: "Saved column mappings of the user's organisation", 'x-stackwatch-access': 'ledger:read', responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, 'ledger:read');
      return c.json({ items: await listMappings(await ledgerFor(c.get('db')), actor.orgId) }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'post', path: '/ledger/mappings', tags: ['ledger'], summary: 'Save a column mapping for next time', 'x-stackwatch-access': 'ledger:write',
      request: { body: body(z.record(z.string(), z.unknown())) }, responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'ledger:write');
      const m = check(ColumnMapping, c.req.valid('json'));
      await saveMapping(await ledgerFor(c.get('db')), actor.orgId, m.name, m, actor.label);
      await audit(c.get('db'), actor, 'ledger.mapping.save', 'ledger_mapping', m.name, null, m);
      return c.json({ saved: m.name, mapping: m }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'post', path: '/ledger/imports/generic', tags: ['ledger'], summary: 'Import a transparency CSV through a column mapping', 'x-stackwatch-access': 'ledger:write',
      request: { body: body(FileBody.extend({ mapping: z.unknown() })) }, responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'ledger:write');
      const b = c.req.valid('json');
      const s = await importGenericText(await ledgerFor(c.get('db')), b.text, b.fileName, b.mapping, { orgId: actor.orgId, by: actor.userId ?? actor.label });
      if (!s.skipped) await audit(c.get('db'), actor, 'ledger.import.generic', 'ledger_import', s.importId, null, { file: b.fileName, sha256: s.sha256, loaded: s.rowsLoaded, flagged: s.rowsFlagged });
      return c.json(s, 200);
    },
  );

  return r;
}
